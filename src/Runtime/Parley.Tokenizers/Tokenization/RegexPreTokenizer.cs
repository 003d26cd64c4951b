using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Parley.Tokenization;

/// <summary>What HF's <c>Split</c> does with the matches of its pattern.</summary>
internal enum SplitBehavior
{
    /// <summary>Matches are dropped; the text between them stays.</summary>
    Removed,
    /// <summary>Matches and the text between them are pieces.</summary>
    Isolated,
    /// <summary>Each match ends the piece before it.</summary>
    MergedWithPrevious,
    /// <summary>Each match starts the piece after it.</summary>
    MergedWithNext,
    /// <summary>Runs of matches are one piece, runs of non-matches another.</summary>
    Contiguous,
}

/// <summary>One HF <c>Split</c>-like step: a pattern, what to do with its matches, and whether matches and gaps swap roles.</summary>
internal sealed record SplitRule(Regex Pattern, SplitBehavior Behavior, bool Invert)
{
    public static SplitRule Create(string pattern, SplitBehavior behavior = SplitBehavior.Isolated, bool invert = false) =>
        new(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), behavior, invert);
}

/// <summary>
/// HF pre-tokenizers that cut text by patterns: <c>Split</c> (every behavior, <c>invert</c>), <c>ByteLevel</c>'s GPT-2
/// regex, <c>Whitespace</c>, <c>WhitespaceSplit</c>, <c>Punctuation</c>, <c>Digits</c>, <c>CharDelimiterSplit</c> and
/// <c>BertPreTokenizer</c>. Rules apply one after the other to each piece, like HF's <c>Sequence</c>.
/// </summary>
/// <remarks>
/// HF's Rust regex works on code points, .NET's <see cref="Regex"/> on UTF-16 units: a letter or digit outside the BMP
/// (U+1D7CF MATHEMATICAL BOLD DIGIT ONE, CJK Extension B) would not be <c>\p{L}</c>/<c>\p{N}</c>, and an emoji before a
/// word would be cut differently. So text holding surrogate pairs is matched through a stand-in string where each pair
/// becomes one non-ASCII BMP char of the same general category, and the pieces are mapped back. Exact for patterns whose
/// classes are built from Unicode categories, <c>\s</c> and ASCII.
/// </remarks>
internal sealed class RegexPreTokenizer
{
    /// <summary>The pattern HF's <c>ByteLevel</c> pre-tokenizer uses when <c>use_regex</c> is true (GPT-2's).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // One BMP char per general category, none ASCII, so ASCII classes in a pattern never match a stand-in.
    private static readonly char[] StandIns = BuildStandIns();

    private readonly SplitRule[] _rules;

    public RegexPreTokenizer(IEnumerable<string> patterns) => _rules = patterns.Select(p => SplitRule.Create(p)).ToArray();

    public RegexPreTokenizer(IEnumerable<SplitRule> rules) => _rules = rules.ToArray();

    /// <summary>Appends the pieces of <paramref name="text"/> as (start, length) pairs.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces) => Split(text, 0, 0, pieces);

    private void Split(ReadOnlySpan<char> text, int offset, int level, List<(int Start, int Length)> pieces)
    {
        if (text.IsEmpty) return;
        if (level == _rules.Length) { pieces.Add((offset, text.Length)); return; }
        SplitRule rule = _rules[level];
        bool astral = text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;
        if (!astral && rule is { Behavior: SplitBehavior.Isolated, Invert: false })
        {
            // The common case (every byte-level BPE): no list of spans needed.
            int last = 0;
            foreach (ValueMatch m in rule.Pattern.EnumerateMatches(text))
            {
                if (m.Length == 0) continue;
                if (m.Index > last) Split(text[last..m.Index], offset + last, level + 1, pieces);
                Split(text.Slice(m.Index, m.Length), offset + m.Index, level + 1, pieces);
                last = m.Index + m.Length;
            }
            if (last < text.Length) Split(text[last..], offset + last, level + 1, pieces);
            return;
        }

        var spans = new List<(int Start, int End, bool Match)>();
        FindMatches(text, rule, astral, spans);
        foreach ((int start, int end) in ApplyBehavior(spans, rule.Behavior))
            if (end > start) Split(text[start..end], offset + start, level + 1, pieces);
    }

    // HF's find_matches: the text as alternating gaps and matches (zero-length matches kept: they still end a run).
    private static void FindMatches(ReadOnlySpan<char> text, SplitRule rule, bool astral, List<(int, int, bool)> spans)
    {
        char[]? standIn = null;
        int[]? origin = null;
        ReadOnlySpan<char> subject = text;
        if (astral)
        {
            standIn = ArrayPool<char>.Shared.Rent(text.Length);
            origin = ArrayPool<int>.Shared.Rent(text.Length + 1); // stand-in index → text index
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                origin[n] = i;
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    standIn[n++] = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]))];
                    i++;
                }
                else standIn[n++] = c;
            }
            origin[n] = text.Length;
            subject = standIn.AsSpan(0, n);
        }

        int last = 0;
        foreach (ValueMatch m in rule.Pattern.EnumerateMatches(subject))
        {
            int start = origin is null ? m.Index : origin[m.Index];
            int end = origin is null ? m.Index + m.Length : origin[m.Index + m.Length];
            if (start > last) spans.Add((last, start, rule.Invert));
            spans.Add((start, end, !rule.Invert));
            last = end;
        }
        if (last < text.Length) spans.Add((last, text.Length, rule.Invert));
        if (standIn is not null) ArrayPool<char>.Shared.Return(standIn);
        if (origin is not null) ArrayPool<int>.Shared.Return(origin);
    }

    private static List<(int Start, int End)> ApplyBehavior(List<(int Start, int End, bool Match)> spans, SplitBehavior behavior)
    {
        var result = new List<(int Start, int End)>(spans.Count);
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var s in spans) result.Add((s.Start, s.End));
                break;
            case SplitBehavior.Removed:
                foreach (var s in spans) if (!s.Match) result.Add((s.Start, s.End));
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var s in spans)
                {
                    if (s.Match && !previousMatch && result.Count > 0) result[^1] = (result[^1].Start, s.End);
                    else result.Add((s.Start, s.End));
                    previousMatch = s.Match;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.Match && !previousMatch && result.Count > 0) result[^1] = (s.Start, result[^1].End);
                    else result.Add((s.Start, s.End));
                    previousMatch = s.Match;
                }
                result.Reverse();
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < spans.Count; i++)
                {
                    var s = spans[i];
                    if (i > 0 && s.Match == previousMatch) result[^1] = (result[^1].Start, s.End);
                    else result.Add((s.Start, s.End));
                    previousMatch = s.Match;
                }
                break;
        }
        return result;
    }

    private static char[] BuildStandIns()
    {
        var map = new char[32];
        Array.Fill(map, '\u00A9'); // So
        foreach (char c in "\u00C0\u00DF\u01C5\u02B0\u00AA\u0300\u0903\u0488\u0660\u2160\u00B2\u3000\u2028\u2029\u0080\u00AD\uDB80\uE000\u203F\u2010\u2045\u2046\u00AB\u00BB\u00A1\u00AC\u00A2\u00A8\u00A9\u0378")
            map[(int)CharUnicodeInfo.GetUnicodeCategory(c)] = c;
        return map;
    }
}
