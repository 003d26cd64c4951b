#if NET
namespace Parley;

/// <summary>
/// A compiled chat template as an object, for code that takes any template (collators, the CLI, services, templates
/// compiled at run time). Every generated template exposes one as <c>Instance</c>; its members forward to the
/// generated static methods.
/// </summary>
/// <example><code>IChatTemplate template = Phi3Template.Instance; string text = template.Format(messages);</code></example>
public interface IChatTemplate
{
    /// <summary>What the template needs from a tokenizer and what it writes.</summary>
    TemplateInfo Info { get; }

    /// <summary>Formats a conversation.</summary>
    /// <exception cref="TemplateException">A role is not declared, or the messages cannot be expressed.</exception>
    string Format(ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt = false);

    /// <summary>
    /// Formats a conversation into <paramref name="destination"/> without allocating and reports the trainable
    /// character ranges (at most one per message). Returns false, writing nothing meaningful, when either span is
    /// too small; <see cref="GetMaxLength"/> gives the size needed.
    /// </summary>
    /// <exception cref="TemplateException">A role is not declared, or the messages cannot be expressed.</exception>
    bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount);

    /// <summary>
    /// Like the other <c>TryFormat</c>, and also reports the content ranges: one per non-empty message, the characters
    /// that came from message content. Tokenize them with special-token parsing off, so a user who types a control
    /// token such as <c>&lt;|assistant|&gt;</c> cannot inject it; only the template's own markers become special ids.
    /// </summary>
    /// <exception cref="TemplateException">A role is not declared, or the messages cannot be expressed.</exception>
    bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount, Span<TextRange> content, out int contentCount);

    /// <summary>An upper bound (exact for structured templates) of the characters that formatting writes.</summary>
    /// <exception cref="TemplateException">A role is not declared, or the messages cannot be expressed.</exception>
    int GetMaxLength(ReadOnlySpan<ChatMessage> messages, in FormatOptions options);
}
#endif
