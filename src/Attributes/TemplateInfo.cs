namespace Parley;

/// <summary>How a template was declared.</summary>
public enum TemplateKind
{
    /// <summary>Roles with prefix and suffix (<see cref="ChatTemplateAttribute"/>).</summary>
    Structured,

    /// <summary>A prompt/completion pattern (<see cref="PromptCompletionTemplateAttribute"/>).</summary>
    PromptCompletion,

    /// <summary>A Hugging Face Jinja chat template (<see cref="JinjaChatTemplateAttribute"/> or <see cref="JinjaChatTemplateFileAttribute"/>).</summary>
    Jinja,
}

/// <summary>One declared turn: how messages of a role are written.</summary>
public sealed class TurnInfo
{
    /// <summary>Creates a turn description.</summary>
    public TurnInfo(string role, string prefix, string suffix, bool train)
    {
        Role = role;
        Prefix = prefix;
        Suffix = suffix;
        Train = train;
    }

    /// <summary>The role.</summary>
    public string Role { get; }

    /// <summary>The prefix with placeholders expanded.</summary>
    public string Prefix { get; }

    /// <summary>The suffix with placeholders expanded.</summary>
    public string Suffix { get; }

    /// <summary>Whether the turn is trained.</summary>
    public bool Train { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Role}{(Train ? " (trained)" : "")}";
}

/// <summary>
/// What a compiled template needs from a tokenizer and what it writes: special tokens, roles, markers.
/// Every generated template exposes one as <c>Info</c>.
/// </summary>
/// <example><code>tokenizer.AddSpecialTokens([.. Phi3Template.Info.SpecialTokens]);</code></example>
public sealed class TemplateInfo
{
    /// <summary>Creates the description (generated code calls this).</summary>
    public TemplateInfo(
        string name,
        TemplateKind kind,
        string? bos,
        string eos,
        string? pad,
        string? unk,
        IReadOnlyList<TurnInfo> turns,
        string? generationPrompt,
        string? conversationStart,
        string? conversationEnd,
        string? instructionMarker,
        string? responseMarker,
        IReadOnlyList<string> specialTokens,
        IReadOnlyList<int>? instructionMarkerIds = null,
        IReadOnlyList<int>? responseMarkerIds = null)
    {
        Name = name;
        Kind = kind;
        Bos = bos;
        Eos = eos;
        Pad = pad;
        Unk = unk;
        Turns = turns;
        GenerationPrompt = generationPrompt;
        ConversationStart = conversationStart;
        ConversationEnd = conversationEnd;
        InstructionMarker = instructionMarker;
        ResponseMarker = responseMarker;
        SpecialTokens = specialTokens;
        InstructionMarkerIds = instructionMarkerIds ?? Array.Empty<int>();
        ResponseMarkerIds = responseMarkerIds ?? Array.Empty<int>();
    }

    /// <summary>The template class's name.</summary>
    public string Name { get; }

    /// <summary>How the template was declared.</summary>
    public TemplateKind Kind { get; }

    /// <summary>The beginning-of-sequence token, if declared.</summary>
    public string? Bos { get; }

    /// <summary>The end-of-sequence token.</summary>
    public string Eos { get; }

    /// <summary>The padding token, if declared.</summary>
    public string? Pad { get; }

    /// <summary>The unknown-token marker, if declared.</summary>
    public string? Unk { get; }

    /// <summary>The declared turns in declaration order (for prompt/completion: <c>user</c> then the trained <c>assistant</c>).</summary>
    public IReadOnlyList<TurnInfo> Turns { get; }

    /// <summary>The generation prompt, if any.</summary>
    public string? GenerationPrompt { get; }

    /// <summary>Text before the first message, if any.</summary>
    public string? ConversationStart { get; }

    /// <summary>Text after the last message, if any.</summary>
    public string? ConversationEnd { get; }

    /// <summary>The instruction marker for marker-based masking, if declared.</summary>
    public string? InstructionMarker { get; }

    /// <summary>The response marker for marker-based masking, if declared.</summary>
    public string? ResponseMarker { get; }

    /// <summary>The instruction marker's declared token ids (<see cref="InstructionMarkerAttribute.TokenIds"/>); empty when not declared.</summary>
    public IReadOnlyList<int> InstructionMarkerIds { get; }

    /// <summary>The response marker's declared token ids (<see cref="ResponseMarkerAttribute.TokenIds"/>); empty when not declared.</summary>
    public IReadOnlyList<int> ResponseMarkerIds { get; }

    /// <summary>
    /// Tokens the tokenizer must treat as single special tokens: BOS, EOS, PAD, UNK (those declared) and every
    /// <see cref="SpecialTokenAttribute"/>, without duplicates, in that order.
    /// </summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>
    /// This description with other BOS/EOS tokens: <see cref="SpecialTokens"/> lists the new ones in place of the old
    /// (BOS, EOS, PAD, UNK, then the rest, without duplicates).
    /// </summary>
    /// <example><code>TemplateInfo opt = Phi3.Info.WithSpecialTokens("&lt;s&gt;", "&lt;/s&gt;");</code></example>
    public TemplateInfo WithSpecialTokens(string? bos, string eos)
    {
        var special = new List<string>();
        foreach (string? token in new[] { bos, eos, Pad, Unk })
        {
            if (!string.IsNullOrEmpty(token) && !special.Contains(token!)) special.Add(token!);
        }

        foreach (string token in SpecialTokens)
        {
            if (token != Bos && token != Eos && token != Pad && token != Unk && !special.Contains(token)) special.Add(token);
        }

        return new TemplateInfo(Name, Kind, bos, eos, Pad, Unk, Turns, GenerationPrompt, ConversationStart, ConversationEnd, InstructionMarker, ResponseMarker,
            special.AsReadOnly(), InstructionMarkerIds, ResponseMarkerIds);
    }

    /// <summary>The declared roles in declaration order.</summary>
    public IEnumerable<string> Roles => Turns.Select(t => t.Role);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}, eos {Eos})";
}
