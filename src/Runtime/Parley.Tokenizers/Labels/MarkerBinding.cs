using Parley.Tokenization;

namespace Parley.Labels;

/// <summary>
/// Binds marker strings to a tokenizer for <see cref="MarkerMasker{T}"/>, checking that each marker tokenizes the
/// same in context as alone. When it does not (the seed's <c>"### Assistant:"</c> with Llama-2: SentencePiece merges
/// the marker with the text before it), searching for the alone ids would never match and every row would train
/// nothing; binding then fails with a <see cref="MarkerBindingException"/> that gives the in-context ids and the two fixes.
/// </summary>
/// <example><code>
/// var phi3 = ParleyTokenizer.FromTokenizerJson("phi-3-mini-4k-instruct");
/// MarkerMasker&lt;int&gt; masker = MarkerBinding.Bind(phi3, response: "&lt;|assistant|&gt;", instruction: "&lt;|user|&gt;", context: firstFormattedRow);
/// </code></example>
public static class MarkerBinding
{
    /// <summary>
    /// The marker's ids, checked in <paramref name="context"/> (a formatted row holding the marker; by default the
    /// marker on its own line between two sentences).
    /// </summary>
    /// <param name="tokenizer">The tokenizer the data is encoded with.</param>
    /// <param name="marker">The marker text, e.g. <c>"&lt;|assistant|&gt;"</c> or <c>"### Assistant:"</c>.</param>
    /// <param name="context">Text in which the marker occurs as it does in the data.</param>
    /// <param name="useInContextIds">On a mismatch, return the in-context ids instead of failing (fix 1).</param>
    /// <exception cref="MarkerBindingException">The marker tokenizes differently in context, and <paramref name="useInContextIds"/> is false.</exception>
    /// <exception cref="ArgumentException">The marker is empty or does not occur in <paramref name="context"/>.</exception>
    public static int[] Resolve(ParleyTokenizer tokenizer, string marker, string? context = null, bool useInContextIds = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(marker);
        context ??= $"Hello there.\n{marker}\nHello there.";
        int at = context.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new ArgumentException($"The context does not contain the marker '{Escape(marker)}'; pass a formatted row in which the marker occurs.", nameof(context));
        }
        int[] alone = tokenizer.Encode(marker, addSpecialTokens: false).Ids;
        int[] inContext = InContext(tokenizer.Encode(context, addSpecialTokens: false), at, marker.Length, out bool straddles);
        if (!straddles && inContext.AsSpan().SequenceEqual(alone)) return alone;
        if (useInContextIds && inContext.Length > 0) return inContext;
        throw new MarkerBindingException(marker, alone, inContext, context, straddles);
    }

    /// <summary>
    /// Checks the token ids a template declares for its markers (<see cref="ResponseMarkerAttribute.TokenIds"/>,
    /// searched for by the generated <c>MarkerMask</c>) against <paramref name="tokenizer"/>: at <b>every</b> occurrence
    /// of a marker in a formatted conversation, the tokens that start inside the marker must end with the declared
    /// ids (so the search finds each occurrence and masking stops exactly at the marker's end). Call it once, before
    /// masking many rows.
    /// </summary>
    /// <param name="tokenizer">The tokenizer the data is encoded with.</param>
    /// <param name="template">The template (<c>MyTemplate.Instance</c>).</param>
    /// <param name="context">
    /// A formatted row to check in; by default the template formats a two-turn conversation (one turn for a
    /// prompt/completion template), so markers are checked both at the row start and after a previous turn.
    /// </param>
    /// <exception cref="MarkerBindingException">A declared marker is not found at one of its occurrences.</exception>
    /// <exception cref="ArgumentException">The template declares no marker ids, or a marker does not occur in the context.</exception>
    /// <example><code>MarkerBinding.Verify(phi3Tokenizer, Phi3.Instance); // then Phi3.MarkerMask.Instance masks rows</code></example>
    public static void Verify(ParleyTokenizer tokenizer, IChatTemplate template, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        TemplateInfo info = template.Info;
        if (info.ResponseMarker is null || info.ResponseMarkerIds.Count == 0)
        {
            throw new ArgumentException($"Template '{info.Name}' declares no response marker ids; set [ResponseMarker(..., TokenIds = [...])].", nameof(template));
        }
        context ??= SampleConversation(template);
        var encoded = tokenizer.Encode(context, addSpecialTokens: false);
        VerifyOne(encoded, info.Name, info.ResponseMarker, info.ResponseMarkerIds, context);
        if (info.InstructionMarker is not null && info.InstructionMarkerIds.Count > 0)
        {
            VerifyOne(encoded, info.Name, info.InstructionMarker, info.InstructionMarkerIds, context);
        }
    }

    private static string SampleConversation(IChatTemplate template)
    {
        TemplateInfo info = template.Info;
        // The turn the instruction marker starts, else "user", else any untrained turn (a system turn has no marker).
        string user = info.Turns.FirstOrDefault(t => !t.Train && info.InstructionMarker is { } m && t.Prefix.Contains(m, StringComparison.Ordinal))?.Role
            ?? info.Turns.FirstOrDefault(t => !t.Train && t.Role == "user")?.Role
            ?? info.Turns.FirstOrDefault(t => !t.Train)?.Role
            ?? "user";
        string assistant = info.Turns.FirstOrDefault(t => t.Train)?.Role ?? "assistant";
        ChatMessage[] messages = info.Kind == TemplateKind.PromptCompletion
            ? [new(user, "Hello there."), new(assistant, "Hi.")]
            : [new(user, "Hello there."), new(assistant, "Hi."), new(user, "Tell me more."), new(assistant, "Sure.")];
        return template.Format(messages);
    }

    private static void VerifyOne(TokenizedText encoded, string templateName, string marker, IReadOnlyList<int> declared, string context)
    {
        int[] expected = [.. declared];
        int at = context.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new ArgumentException($"The context does not contain the marker '{Escape(marker)}'; pass a formatted row in which the marker occurs.", nameof(context));
        }
        for (; at >= 0; at = context.IndexOf(marker, at + 1, StringComparison.Ordinal))
        {
            int[] inContext = InContext(encoded, at, marker.Length, out _);
            if (!inContext.AsSpan().EndsWith(expected))
            {
                throw new MarkerBindingException(marker, expected, inContext, context, templateName);
            }
        }
    }

    // The ids of the tokens that start inside [at, at + length) when the whole context is encoded, and whether a
    // token crosses the marker's first character (then no id sequence inside the row equals the marker).
    private static int[] InContext(TokenizedText encoded, int at, int length, out bool straddles)
    {
        int end = at + length;
        var inContext = new List<int>();
        straddles = false;
        for (int t = 0; t < encoded.Count; t++)
        {
            var offset = encoded.Offsets[t];
            if (offset.Start < at && offset.End > at) straddles = true;
            if (offset.Start >= at && offset.Start < end) inContext.Add(encoded.Ids[t]);
        }
        return inContext.ToArray();
    }

    /// <summary>Binds the response marker and, for multi-turn data, the instruction marker (see <see cref="Resolve"/>).</summary>
    /// <exception cref="MarkerBindingException">A marker tokenizes differently in context.</exception>
    public static MarkerMasker<int> Bind(ParleyTokenizer tokenizer, string response, string? instruction = null, string? context = null, bool useInContextIds = false)
    {
        int[] responseIds = Resolve(tokenizer, response, context, useInContextIds);
        int[] instructionIds = instruction is null ? [] : Resolve(tokenizer, instruction, context, useInContextIds);
        return new MarkerMasker<int>(responseIds, instructionIds);
    }

    internal static string Escape(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>A marker tokenizes differently in context than alone; the message gives both id sequences and the two fixes.</summary>
/// <example><code>
/// try { MarkerBinding.Resolve(llama2, "### Assistant:", row); }
/// catch (MarkerBindingException e) { ids = e.InContextIds; }
/// </code></example>
public sealed class MarkerBindingException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    public MarkerBindingException(string marker, int[] aloneIds, int[] inContextIds, string context, bool straddles)
        : base(Compose(marker, aloneIds, inContextIds, context, straddles))
    {
        Marker = marker;
        AloneIds = aloneIds;
        InContextIds = inContextIds;
    }

    /// <summary>Creates the exception for ids a template declares (<see cref="MarkerBinding.Verify"/>).</summary>
    public MarkerBindingException(string marker, int[] declaredIds, int[] inContextIds, string context, string templateName)
        : base(ComposeDeclared(marker, declaredIds, inContextIds, context, templateName))
    {
        Marker = marker;
        AloneIds = declaredIds;
        InContextIds = inContextIds;
    }

    /// <summary>The marker text.</summary>
    public string Marker { get; }

    /// <summary>Its ids when encoded alone (or, from <see cref="MarkerBinding.Verify"/>, the ids the template declares).</summary>
    public int[] AloneIds { get; }

    /// <summary>The ids of the tokens that start inside the marker when it is encoded in context.</summary>
    public int[] InContextIds { get; }

    private static string ComposeDeclared(string marker, int[] declared, int[] inContext, string context, string templateName) =>
        $"Template '{templateName}' declares the ids [{string.Join(", ", declared)}] for the marker '{MarkerBinding.Escape(marker)}', but at one of its " +
        $"occurrences in '{MarkerBinding.Escape(context)}' this tokenizer encodes it as [{string.Join(", ", inContext)}], which does not end with them, " +
        "so the generated MarkerMask would miss it there and such rows would train wrongly or not at all. Fix it one of two ways: " +
        "(1) declare ids that end every occurrence (often the marker's last tokens, e.g. those of \"Assistant:\" without the \"###\" that merges with the newline before it); " +
        $"(2) register the marker as a special token (tokenizer.AddSpecialTokens(\"{MarkerBinding.Escape(marker)}\")), resize the model's embeddings, and declare its new id.";

    private static string Compose(string marker, int[] alone, int[] inContext, string context, bool straddles) =>
        $"The marker '{MarkerBinding.Escape(marker)}' tokenizes as [{string.Join(", ", alone)}] alone but as [{string.Join(", ", inContext)}] in context " +
        $"('{MarkerBinding.Escape(context)}'){(straddles ? ", where a token also crosses its first character" : "")}, so a search for the alone ids " +
        "would miss it and those rows would train nothing. Fix it one of two ways: " +
        $"(1) search for the in-context ids: new MarkerMasker<int>([{string.Join(", ", inContext)}]), or MarkerBinding.Bind(..., useInContextIds: true); " +
        $"(2) register the marker as a special token (tokenizer.AddSpecialTokens(\"{MarkerBinding.Escape(marker)}\")) and resize the model's embeddings, so it is one id everywhere.";
}
