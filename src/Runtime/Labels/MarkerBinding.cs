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
        var encoded = tokenizer.Encode(context, addSpecialTokens: false);
        int end = at + marker.Length;
        var inContext = new List<int>();
        bool straddles = false;
        for (int t = 0; t < encoded.Count; t++)
        {
            var offset = encoded.Offsets[t];
            if (offset.Start < at && offset.End > at) straddles = true; // a token crosses the marker's start
            if (offset.Start >= at && offset.Start < end) inContext.Add(encoded.Ids[t]);
        }
        if (!straddles && inContext.SequenceEqual(alone)) return alone;
        if (useInContextIds && inContext.Count > 0) return inContext.ToArray();
        throw new MarkerBindingException(marker, alone, inContext.ToArray(), context, straddles);
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
public sealed class MarkerBindingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MarkerBindingException(string marker, int[] aloneIds, int[] inContextIds, string context, bool straddles)
        : base(Compose(marker, aloneIds, inContextIds, context, straddles))
    {
        Marker = marker;
        AloneIds = aloneIds;
        InContextIds = inContextIds;
    }

    /// <summary>The marker text.</summary>
    public string Marker { get; }

    /// <summary>Its ids when encoded alone.</summary>
    public int[] AloneIds { get; }

    /// <summary>The ids of the tokens that start inside the marker when it is encoded in context.</summary>
    public int[] InContextIds { get; }

    private static string Compose(string marker, int[] alone, int[] inContext, string context, bool straddles) =>
        $"The marker '{MarkerBinding.Escape(marker)}' tokenizes as [{string.Join(", ", alone)}] alone but as [{string.Join(", ", inContext)}] in context " +
        $"('{MarkerBinding.Escape(context)}'){(straddles ? ", where a token also crosses its first character" : "")}, so a search for the alone ids " +
        "would miss it and those rows would train nothing. Fix it one of two ways: " +
        $"(1) search for the in-context ids: new MarkerMasker<int>([{string.Join(", ", inContext)}]), or MarkerBinding.Bind(..., useInContextIds: true); " +
        $"(2) register the marker as a special token (tokenizer.AddSpecialTokens(\"{MarkerBinding.Escape(marker)}\")) and resize the model's embeddings, so it is one id everywhere.";
}
