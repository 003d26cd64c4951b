using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Parley.Tokenization;

/// <summary>
/// HF <c>Split</c> pre-tokenizers with <c>behavior: Isolated</c> (and <c>ByteLevel</c>'s GPT-2 regex): each match is a
/// piece, and text between matches is a piece too. Several patterns apply one after the other, like HF's <c>Sequence</c>.
/// </summary>
/// <remarks>
/// HF's Rust regex works on code points, .NET's <see cref="Regex"/> on UTF-16 units: a letter or digit outside the BMP
/// (U+1D7CF MATHEMATICAL BOLD DIGIT ONE, CJK Extension B) would not be <c>\p{L}</c>/<c>\p{N}</c>, and an emoji before a
/// word would be cut differently. So text holding surrogate pairs is matched through a stand-in string where each pair
/// becomes one BMP char of the same class (<c>a</c> for letters, <c>0</c> for digits, <c>©</c> for the rest), and the
/// pieces are mapped back. Exact for patterns whose classes are built from <c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c> and ASCII.
/// </remarks>
internal sealed class RegexPreTokenizer
{
    /// <summary>The pattern HF's <c>ByteLevel</c> pre-tokenizer uses when <c>use_regex</c> is true (GPT-2's).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex[] _patterns;

    public RegexPreTokenizer(IEnumerable<string> patterns) =>
        _patterns = patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant)).ToArray();

    /// <summary>Appends the pieces of <paramref name="text"/> as (start, length) pairs.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces) => Split(text, 0, 0, pieces);

    private void Split(ReadOnlySpan<char> text, int offset, int level, List<(int Start, int Length)> pieces)
    {
        if (text.IsEmpty) return;
        if (level == _patterns.Length) { pieces.Add((offset, text.Length)); return; }
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0) { SplitByCodePoint(text, offset, level, pieces); return; }
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

    private void SplitByCodePoint(ReadOnlySpan<char> text, int offset, int level, List<(int Start, int Length)> pieces)
    {
        char[] standIn = ArrayPool<char>.Shared.Rent(text.Length);
        int[] origin = ArrayPool<int>.Shared.Rent(text.Length + 1); // stand-in index → text index
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            origin[n] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                standIn[n++] = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])) switch
                {
                    >= UnicodeCategory.UppercaseLetter and <= UnicodeCategory.OtherLetter => 'a',
                    >= UnicodeCategory.DecimalDigitNumber and <= UnicodeCategory.OtherNumber => '0',
                    _ => '\u00A9',
                };
                i++;
            }
            else standIn[n++] = c;
        }
        origin[n] = text.Length;

        int last = 0; // in text
        foreach (ValueMatch m in _patterns[level].EnumerateMatches(standIn.AsSpan(0, n)))
        {
            if (m.Length == 0) continue;
            int start = origin[m.Index], end = origin[m.Index + m.Length];
            if (start > last) Split(text[last..start], offset + last, level + 1, pieces);
            Split(text[start..end], offset + start, level + 1, pieces);
            last = end;
        }
        ArrayPool<char>.Shared.Return(standIn);
        ArrayPool<int>.Shared.Return(origin);
        if (last < text.Length) Split(text[last..], offset + last, level + 1, pieces);
    }
}
