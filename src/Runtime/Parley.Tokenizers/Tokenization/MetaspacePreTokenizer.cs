namespace Parley.Tokenization;

/// <summary>When HF's <c>Metaspace</c> pre-tokenizer puts a <c>▁</c> before the text.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}

/// <summary>
/// HF's <c>Metaspace</c> pre-tokenizer (non-legacy Llama/Mistral <c>tokenizer.json</c>): spaces become <c>▁</c>, a <c>▁</c>
/// is prepended unless the text already starts with one (<c>first</c>: only to the piece at the start of the input),
/// and with <c>split</c> the text is cut before every <c>▁</c>.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split)
{
    private readonly ReplaceNormalizer _replace = new(" ", replacement.ToString());
    private readonly PrependNormalizer _prepend = new(replacement.ToString());

    public bool SplitsAtReplacement => split;

    /// <summary>Applies the replacement and prefix; false when the text is unchanged.</summary>
    public bool TryTransform(ReadOnlySpan<char> text, bool atInputStart, out NormalizedText output)
    {
        bool replaced = _replace.TryNormalize(text, out NormalizedText r);
        ReadOnlySpan<char> current = replaced ? r.Text : text;
        bool prepend = current.Length > 0 && current[0] != replacement &&
                       (scheme == PrependScheme.Always || scheme == PrependScheme.First && atInputStart);
        if (!prepend)
        {
            output = r;
            return replaced;
        }
        _prepend.TryNormalize(current, out NormalizedText p);
        output = p; // the replacement is 1:1, so the prefix map is already relative to the input
        return true;
    }

    /// <summary>Cuts before every replacement char (HF's <c>MergedWithNext</c>).</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces)
    {
        int start = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] != replacement) continue;
            pieces.Add((start, i - start));
            start = i;
        }
        if (text.Length > start) pieces.Add((start, text.Length - start));
    }
}
