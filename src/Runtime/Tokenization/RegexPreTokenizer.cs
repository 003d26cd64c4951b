using System.Text.RegularExpressions;

namespace Parley.Tokenization;

/// <summary>
/// HF <c>Split</c> pre-tokenizers with <c>behavior: Isolated</c> (and <c>ByteLevel</c>'s GPT-2 regex): each match is a
/// piece, and text between matches is a piece too. Several patterns apply one after the other, like HF's <c>Sequence</c>.
/// </summary>
/// <remarks>
/// Known difference from HF (Rust regex over code points): .NET's <see cref="Regex"/> works on UTF-16 units, so a
/// letter or digit outside the BMP (e.g. U+1D7CF MATHEMATICAL BOLD DIGIT ONE) is not <c>\p{L}</c>/<c>\p{N}</c> here and can
/// be cut differently (seen on Qwen3 with <c>"x 𝟏2"</c>). Emoji and CJK Extension B text match HF.
/// </remarks>
internal sealed class RegexPreTokenizer
{
    /// <summary>The pattern HF's <c>ByteLevel</c> pre-tokenizer uses when <c>use_regex</c> is true (GPT-2's).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex[] _patterns;

    public RegexPreTokenizer(IEnumerable<string> patterns) =>
        _patterns = patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant)).ToArray();

    public IReadOnlyList<string> Patterns => _patterns.Select(p => p.ToString()).ToArray();

    /// <summary>Appends the pieces of <paramref name="text"/> as (start, length) pairs.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces) => Split(text, 0, 0, pieces);

    private void Split(ReadOnlySpan<char> text, int offset, int level, List<(int Start, int Length)> pieces)
    {
        if (text.IsEmpty) return;
        if (level == _patterns.Length) { pieces.Add((offset, text.Length)); return; }
        int last = 0;
        foreach (ValueMatch m in _patterns[level].EnumerateMatches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) Split(text[last..m.Index], offset + last, level + 1, pieces);
            Split(text.Slice(m.Index, m.Length), offset + m.Index, level + 1, pieces);
            last = m.Index + m.Length;
        }
        if (last < text.Length) Split(text[last..], offset + last, level + 1, pieces);
    }
}
