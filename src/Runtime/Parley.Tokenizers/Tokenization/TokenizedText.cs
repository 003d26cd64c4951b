namespace Parley.Tokenization;

/// <summary>
/// Token ids with the character range of each in the encoded text.
/// </summary>
/// <remarks>
/// Offsets partition the text: consecutive, no gaps, no overlaps, the last ending at the text's length. So that
/// this holds even where a tokenizer changes the text, Parley assigns every input character to exactly one token:
/// <list type="bullet">
/// <item>text a normalizer inserted (Phi-3's leading <c>▁</c>) or removed (SentencePiece's extra spaces) and
/// whitespace swallowed by an added token's <c>lstrip</c>/<c>rstrip</c> belong to the token next to it;</item>
/// <item>a character split over several tokens (byte-level BPE or byte fallback on an emoji) belongs to the token
/// holding its first byte; the others get an empty range at the character's end;</item>
/// <item>tokens the post-processor adds (<c>&lt;s&gt;</c>) get an empty range at the start (or end) of the text;</item>
/// <item>text a normalizer removes entirely (SentencePiece's <c>remove_extra_whitespaces</c> on <c>"   "</c>) has no token.</item>
/// </list>
/// HF reports overlapping ranges in these cases instead; the ids are the same.
/// </remarks>
/// <param name="Ids">The token ids.</param>
/// <param name="Offsets">For each id, the characters of the input it came from.</param>
/// <example><code>
/// TokenizedText t = tokenizer.Encode("Hello world", addSpecialTokens: false);
/// for (int i = 0; i &lt; t.Ids.Length; i++) Console.WriteLine($"{t.Ids[i]} {t.Offsets[i]}");
/// </code></example>
public sealed record TokenizedText(int[] Ids, TextRange[] Offsets)
{
    /// <summary>Number of tokens.</summary>
    public int Count => Ids.Length;
}
