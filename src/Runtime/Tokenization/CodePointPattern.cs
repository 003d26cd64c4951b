using System.Globalization;
using System.Text;

namespace Parley.Tokenization;

/// <summary>
/// Rewrites a pre-tokenizer regex so .NET (UTF-16) gives it code-point semantics for <c>\p{L}</c> and <c>\p{N}</c>, as
/// HF's Rust regex has: letters and digits outside the BMP become surrogate-pair alternatives, and a negated class
/// holding <c>\p{L}</c>/<c>\p{N}</c> consumes a whole astral code point (or none) instead of one surrogate half.
/// Patterns using other constructs inside such classes are left alone.
/// </summary>
internal static class CodePointPattern
{
    private static readonly Lazy<string> AstralLetter = new(() => Alternation(c => c is >= UnicodeCategory.UppercaseLetter and <= UnicodeCategory.OtherLetter));
    private static readonly Lazy<string> AstralNumber = new(() => Alternation(c => c is >= UnicodeCategory.DecimalDigitNumber and <= UnicodeCategory.OtherNumber));

    public static string Rewrite(string pattern)
    {
        if (!pattern.Contains(@"\p{L}", StringComparison.Ordinal) && !pattern.Contains(@"\p{N}", StringComparison.Ordinal)) return pattern;
        var sb = new StringBuilder(pattern.Length * 4);
        for (int i = 0; i < pattern.Length;)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                if (Matches(pattern, i, @"\p{L}")) { sb.Append("(?:\\p{L}|(?=[\\uD800-\\uDBFF])").Append(AstralLetter.Value).Append(')'); i += 5; continue; }
                if (Matches(pattern, i, @"\p{N}")) { sb.Append("(?:\\p{N}|(?=[\\uD800-\\uDBFF])").Append(AstralNumber.Value).Append(')'); i += 5; continue; }
                sb.Append(c).Append(pattern[i + 1]);
                i += 2;
                continue;
            }
            if (c == '[')
            {
                int end = ClassEnd(pattern, i);
                if (end < 0) return pattern; // not a shape we understand: keep the original
                string cls = pattern[i..(end + 1)];
                sb.Append(RewriteClass(cls));
                i = end + 1;
                continue;
            }
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    private static string RewriteClass(string cls)
    {
        bool hasL = cls.Contains(@"\p{L}", StringComparison.Ordinal), hasN = cls.Contains(@"\p{N}", StringComparison.Ordinal);
        if (!hasL && !hasN) return cls;
        string inner = cls[1..^1];
        if (!inner.StartsWith('^'))
        {
            // [..\p{L}..] → BMP members, or an astral letter/digit.
            var alts = new List<string> { cls };
            if (hasL) alts.Add(AstralLetter.Value);
            if (hasN) alts.Add(AstralNumber.Value);
            return "(?:" + string.Join('|', alts) + ")";
        }
        // [^..\p{L}..] → a BMP char outside the class, or an astral code point that is not a letter/digit.
        var excluded = new List<string>();
        if (hasL) excluded.Add(AstralLetter.Value);
        if (hasN) excluded.Add(AstralNumber.Value);
        return $"(?:[{inner}\\uD800-\\uDFFF]|(?!{string.Join('|', excluded)})[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])";
    }

    private static bool Matches(string s, int at, string token) => string.CompareOrdinal(s, at, token, 0, token.Length) == 0;

    private static int ClassEnd(string pattern, int start)
    {
        int i = start + 1;
        if (i < pattern.Length && pattern[i] == '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\') { i++; continue; }
            if (pattern[i] == '[') return -1; // nested/subtracted classes: leave the pattern as is
            if (pattern[i] == ']') return i;
        }
        return -1;
    }

    /// <summary>Astral code points of a category group as <c>\uHHHH[\uLLLL-\uLLLL...]|…</c>, grouped by high surrogate.</summary>
    private static string Alternation(Func<UnicodeCategory, bool> include)
    {
        var sb = new StringBuilder();
        for (int high = 0xD800; high <= 0xDBFF; high++)
        {
            var ranges = new StringBuilder();
            int runStart = -1;
            for (int low = 0xDC00; low <= 0xE000; low++)
            {
                bool member = low < 0xE000 && include(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32((char)high, (char)low)));
                if (member && runStart < 0) runStart = low;
                if (!member && runStart >= 0)
                {
                    ranges.Append($"\\u{runStart:X4}");
                    if (low - 1 > runStart) ranges.Append($"-\\u{low - 1:X4}");
                    runStart = -1;
                }
            }
            if (ranges.Length == 0) continue;
            if (sb.Length > 0) sb.Append('|');
            sb.Append($"\\u{high:X4}[{ranges}]");
        }
        return sb.Length == 0 ? "(?!)" : "(?:" + sb + ")";
    }
}
