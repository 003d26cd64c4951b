namespace Parley;

/// <summary>One message of a conversation: a role (<c>system</c>, <c>user</c>, <c>assistant</c>, …) and its content.</summary>
/// <example><code>ChatMessage[] chat = [ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!")];</code></example>
public readonly struct ChatMessage : IEquatable<ChatMessage>
{
    /// <summary>Creates a message.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="role"/> is null.</exception>
    public ChatMessage(string role, string? content)
    {
        Role = role ?? throw new ArgumentNullException(nameof(role));
        _content = content;
    }

    /// <summary>The role, compared ordinally with the template's declared roles.</summary>
    public string Role { get; }

    /// <summary>The message text (never null; a null content is stored as empty).</summary>
    public string Content => _content ?? "";

    private readonly string? _content;

    /// <summary>A <c>system</c> message.</summary>
    public static ChatMessage System(string content) => new("system", content);

    /// <summary>A <c>user</c> message.</summary>
    public static ChatMessage User(string content) => new("user", content);

    /// <summary>An <c>assistant</c> message.</summary>
    public static ChatMessage Assistant(string content) => new("assistant", content);

    /// <inheritdoc/>
    public bool Equals(ChatMessage other) => string.Equals(Role, other.Role, StringComparison.Ordinal) && string.Equals(Content, other.Content, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ChatMessage other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => ((Role?.GetHashCode() ?? 0) * 31) ^ Content.GetHashCode();

    /// <summary>Compares two messages ordinally.</summary>
    public static bool operator ==(ChatMessage left, ChatMessage right) => left.Equals(right);

    /// <summary>Compares two messages ordinally.</summary>
    public static bool operator !=(ChatMessage left, ChatMessage right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"{Role}: {Content}";
}
