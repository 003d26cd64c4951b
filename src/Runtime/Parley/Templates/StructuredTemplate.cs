namespace Parley.Templates;

/// <summary>
/// A structured template (turns with prefix and suffix, a generation prompt, a conversation start and end) described by a
/// <see cref="TemplateInfo"/> and formatted at run time with exactly the semantics of generated structured templates:
/// each trained turn's content and suffix are trainable, and so is the conversation end after a trained last turn.
/// <see cref="Phi3.WithSpecialTokens"/> and <see cref="ChatML.WithSpecialTokens"/> return one, for special tokens that are
/// only known at run time. Formatting allocates nothing beyond the caller's spans.
/// </summary>
/// <example><code>
/// IChatTemplate phi3OnOpt = Phi3.WithSpecialTokens(bos: "&lt;s&gt;", eos: "&lt;/s&gt;");
/// string text = phi3OnOpt.Format([ChatMessage.User("Hi"), ChatMessage.Assistant("Hello")]); // "...&lt;|end|&gt;\n&lt;/s&gt;"
/// </code></example>
public sealed class StructuredTemplate : IChatTemplate
{
    private readonly TurnInfo[] _turns;
    private readonly string _declaredRoles;

    /// <summary>Creates the template from its description; <see cref="TemplateInfo.Turns"/> must declare at least one turn.</summary>
    /// <exception cref="ArgumentException">The description declares no turns.</exception>
    public StructuredTemplate(TemplateInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Info = info;
        _turns = [.. info.Turns];
        if (_turns.Length == 0) throw new ArgumentException($"Template '{info.Name}' declares no turns; a structured template needs at least one.", nameof(info));
        _declaredRoles = string.Join(", ", info.Roles);
    }

    /// <inheritdoc/>
    public TemplateInfo Info { get; }

    /// <inheritdoc/>
    public string Format(ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        var options = new FormatOptions { AddGenerationPrompt = addGenerationPrompt };
        var buffer = new char[GetMaxLength(messages, in options)];
        Write(messages, buffer, out int written, in options, default, collect: false, out _, default, out _);
        return new string(buffer, 0, written);
    }

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount) =>
        Write(messages, destination, out charsWritten, in options, trainable, collect: true, out trainableCount, default, out _);

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount, Span<TextRange> content, out int contentCount) =>
        Write(messages, destination, out charsWritten, in options, trainable, collect: true, out trainableCount, content, out contentCount, collectContent: true);

    /// <inheritdoc/>
    public int GetMaxLength(ReadOnlySpan<ChatMessage> messages, in FormatOptions options)
    {
        Validate(messages.Length, in options);
        int length = Info.ConversationStart?.Length ?? 0;
        for (int i = 0; i < messages.Length; i++)
        {
            TurnInfo turn = Turn(messages[i].Role, i);
            length = checked(length + turn.Prefix.Length + messages[i].Content.Length + (options.ContinueFinalMessage && i == messages.Length - 1 ? 0 : turn.Suffix.Length));
        }

        if (options.AddGenerationPrompt) return checked(length + (Info.GenerationPrompt?.Length ?? 0));
        return options.ContinueFinalMessage ? length : checked(length + (Info.ConversationEnd?.Length ?? 0));
    }

    /// <inheritdoc/>
    public override string ToString() => Info.ToString();

    private bool Write(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options,
        Span<TextRange> trainable, bool collect, out int trainableCount, Span<TextRange> content, out int contentCount, bool collectContent = false)
    {
        charsWritten = trainableCount = contentCount = 0;
        Validate(messages.Length, in options);
        int position = 0, trained = 0, contents = 0;
        bool lastTrained = false;
        if (!Append(Info.ConversationStart, destination, ref position)) return false;
        for (int i = 0; i < messages.Length; i++)
        {
            TurnInfo turn = Turn(messages[i].Role, i);
            if (!Append(turn.Prefix, destination, ref position)) return false;
            int start = position;
            if (!Append(messages[i].Content, destination, ref position)) return false;
            if (!(options.ContinueFinalMessage && i == messages.Length - 1) && !Append(turn.Suffix, destination, ref position)) return false;
            if (collectContent && !Add(content, ref contents, start, start + messages[i].Content.Length, merge: false)) return false;
            if (collect && turn.Train && !Add(trainable, ref trained, start, position, merge: true)) return false;
            lastTrained = turn.Train;
        }

        if (options.AddGenerationPrompt)
        {
            if (!Append(Info.GenerationPrompt, destination, ref position)) return false;
        }
        else if (!options.ContinueFinalMessage)
        {
            int start = position;
            if (!Append(Info.ConversationEnd, destination, ref position)) return false;

            // The conversation end closes the last answer, so it is learned with it: the model learns to stop.
            if (collect && lastTrained && !Add(trainable, ref trained, start, position, merge: true)) return false;
        }

        charsWritten = position;
        trainableCount = trained;
        contentCount = contents;
        return true;
    }

    private TurnInfo Turn(string? role, int index)
    {
        foreach (TurnInfo turn in _turns)
        {
            if (turn.Role == role) return turn;
        }

        throw TemplateException.UnknownRole(Info.Name, index, role, _declaredRoles);
    }

    private void Validate(int count, in FormatOptions options)
    {
        if (options.AddGenerationPrompt && options.ContinueFinalMessage) throw TemplateException.IncompatibleOptions(Info.Name);
        if (options.ContinueFinalMessage && count == 0) throw TemplateException.NothingToContinue(Info.Name);
        if (options.AddGenerationPrompt && Info.GenerationPrompt is null)
        {
            throw new TemplateException($"Template '{Info.Name}' declares no generation prompt: give one in its TemplateInfo.");
        }
    }

    private static bool Append(ReadOnlySpan<char> value, Span<char> destination, ref int position)
    {
        if (!value.TryCopyTo(destination[position..])) return false;
        position += value.Length;
        return true;
    }

    // Merged ranges join when adjacent, so an answer, its suffix and the conversation end report as one (as generated code does).
    private static bool Add(Span<TextRange> ranges, ref int count, int start, int end, bool merge)
    {
        if (end == start) return true;
        if (merge && count > 0 && ranges[count - 1].End == start)
        {
            ranges[count - 1] = TextRange.FromBounds(ranges[count - 1].Start, end);
            return true;
        }

        if (count == ranges.Length) return false;
        ranges[count++] = TextRange.FromBounds(start, end);
        return true;
    }
}
