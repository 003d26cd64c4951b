using System.Text.RegularExpressions;

namespace Parley.Tokenization;

/// <summary>
/// HF <c>Split</c> pre-tokenizers with <c>behavior: Isolated</c> (and <c>ByteLevel</c>'s GPT-2 regex): each match is a
/// piece, and text between matches is a piece too. Several patterns apply one after the other, like HF's <c>Sequence</c>.
/// </summary>
/// <remarks>
/// HF's Rust regex works on code points, .NET's <see cref="Regex"/> on UTF-16 units: a letter or digit outside the BMP
/// (U+1D7CF MATHEMATICAL BOLD DIGIT ONE, CJK Extension B) would not be <c>\p{L}</c>/<c>\p{N}</c>, and an emoji before a
/// word would split differently. Text holding surrogates therefore goes through a rewritten pattern
/// (<see cref="CodePointPattern"/>) with code-point semantics; other text uses the original, faster one.
/// </remarks>
internal sealed class RegexPreTokenizer
{
    /// <summary>The pattern HF's <c>ByteLevel</c> pre-tokenizer uses when <c>use_regex</c> is true (GPT-2's).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex[] _patterns;
    private readonly Regex[] _codePointPatterns;

    public RegexPreTokenizer(IEnumerable<string> patterns)
    {
        string[] list = patterns.ToArray();
        _patterns = list.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant)).ToArray();
        // Text with surrogate pairs needs the code-point-aware rewrite; it is slower, so it is built lazily and used only then.
        _codePointPatterns = new Regex[list.Length];
        _sources = list;
    }

    private readonly string[] _sources;

    private Regex CodePointAware(int level) =>
        Volatile.Read(ref _codePointPatterns[level]) ?? Interlocked.CompareExchange(ref _codePointPatterns[level],
            new Regex(CodePointPattern.Rewrite(_sources[level]), RegexOptions.Compiled | RegexOptions.CultureInvariant), null)
        ?? _codePointPatterns[level];

    public IReadOnlyList<string> Patterns => _patterns.Select(p => p.ToString()).ToArray();

    /// <summary>Appends the pieces of <paramref name="text"/> as (start, length) pairs.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces) => Split(text, 0, 0, pieces);

    private void Split(ReadOnlySpan<char> text, int offset, int level, List<(int Start, int Length)> pieces)
    {
        if (text.IsEmpty) return;
        if (level == _patterns.Length) { pieces.Add((offset, text.Length)); return; }
        int last = 0;
        Regex regex = text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 ? CodePointAware(level) : _patterns[level];
        foreach (ValueMatch m in regex.EnumerateMatches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) Split(text[last..m.Index], offset + last, level + 1, pieces);
            Split(text.Slice(m.Index, m.Length), offset + m.Index, level + 1, pieces);
            last = m.Index + m.Length;
        }
        if (last < text.Length) Split(text[last..], offset + last, level + 1, pieces);
    }
}
