using System.Text;
using Parley.Tokenization.Unicode;

namespace Parley.Tokenization;

/// <summary>
/// Text after a normalizer ran, with the way back to the input: <see cref="Map"/>[i] is the input index where
/// output char i logically starts (length <c>Text.Length + 1</c>; the last entry is the input length).
/// Chars a normalizer inserted or that continue a replaced char map to the boundary of their source, so token
/// offsets computed through the map never overlap. A null map means char i comes from input char i.
/// </summary>
internal readonly record struct NormalizedText(string Text, int[]? Map);

/// <summary>One HF normalizer step. <see cref="TryNormalize"/> returns false when the text is unchanged.</summary>
internal abstract class TextNormalizer
{
    public abstract bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output);
}

/// <summary>HF <c>Prepend</c>: adds a prefix to non-empty text (Phi-3's <c>▁</c>).</summary>
internal sealed class PrependNormalizer(string prefix) : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output)
    {
        if (input.IsEmpty || prefix.Length == 0) { output = default; return false; }
        var map = new int[prefix.Length + input.Length + 1];
        for (int i = 0; i < input.Length + 1; i++) map[prefix.Length + i] = i;
        output = new NormalizedText(string.Concat(prefix, input), map);
        return true;
    }
}

/// <summary>HF <c>Replace</c> with a literal pattern (Phi-3's <c>" " → "▁"</c>).</summary>
internal sealed class ReplaceNormalizer(string pattern, string content) : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output)
    {
        if (pattern.Length == 0 || input.IndexOf(pattern, StringComparison.Ordinal) < 0) { output = default; return false; }
        if (pattern.Length == 1 && content.Length == 1)
        {
            // One char for one char (Phi-3's ' ' → '▁'): offsets are unchanged.
            char[]? rented = null;
            Span<char> buffer = input.Length <= 512 ? stackalloc char[512] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(input.Length));
            input.Replace(buffer[..input.Length], pattern[0], content[0]);
            output = new NormalizedText(new string(buffer[..input.Length]), null);
            if (rented is not null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
            return true;
        }
        var text = new StringBuilder(input.Length + 8);
        var map = new List<int>(input.Length + 1);
        int i = 0;
        while (i < input.Length)
        {
            if (input[i..].StartsWith(pattern, StringComparison.Ordinal))
            {
                for (int k = 0; k < content.Length; k++) map.Add(k == 0 ? i : i + pattern.Length);
                text.Append(content);
                i += pattern.Length;
            }
            else
            {
                map.Add(i);
                text.Append(input[i]);
                i++;
            }
        }
        map.Add(input.Length);
        output = new NormalizedText(text.ToString(), map.ToArray());
        return true;
    }
}

/// <summary>
/// HF <c>NFC</c>/<c>NFKC</c>/<c>NFD</c>/<c>NFKD</c> from Parley's own Unicode tables, so the ids are the same with and
/// without ICU (<c>InvariantGlobalization</c>).
/// </summary>
internal sealed class UnicodeNormalizer(NormalizationKind form) : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output) =>
        UnicodeNormalization.TryNormalize(input, form, out output);
}

/// <summary>
/// HF <c>Lowercase</c>: each code point's full lowercase mapping without context (Rust's <c>char::to_lowercase</c>,
/// so U+0130 becomes two chars), from Parley's tables rather than the culture data.
/// </summary>
internal sealed class LowercaseNormalizer : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output) =>
        CodePointMapper.TryMap(input, static (cp, sb) =>
        {
            ReadOnlySpan<int> lower = UnicodeTables.Lowercase(cp);
            if (lower.IsEmpty) return false;
            foreach (int l in lower) UnicodeNormalization.AppendCodePoint(sb, l);
            return true;
        }, out output);
}

/// <summary>HF <c>Sequence</c> of normalizers; maps compose.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<TextNormalizer> steps) : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output)
    {
        string? text = null;
        int[]? map = null;
        foreach (TextNormalizer step in steps)
        {
            ReadOnlySpan<char> current = text is null ? input : text.AsSpan();
            if (!step.TryNormalize(current, out NormalizedText next)) continue;
            if (next.Map is not null)
            {
                if (map is not null)
                    for (int i = 0; i < next.Map.Length; i++) next.Map[i] = map[next.Map[i]];
                map = next.Map;
            }
            text = next.Text;
        }
        output = text is null ? default : new NormalizedText(text, map);
        return text is not null;
    }
}

/// <summary>HF <c>Replace</c> with a <c>Regex</c> pattern: every match becomes <c>content</c>.</summary>
internal sealed class RegexReplaceNormalizer(string pattern, string content) : TextNormalizer
{
    private readonly System.Text.RegularExpressions.Regex _regex = new(pattern,
        System.Text.RegularExpressions.RegexOptions.Compiled | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output)
    {
        StringBuilder? text = null;
        List<int>? map = null;
        int last = 0;
        foreach (System.Text.RegularExpressions.ValueMatch m in _regex.EnumerateMatches(input))
        {
            if (m.Length == 0 && content.Length == 0) continue;
            text ??= new StringBuilder(input.Length + 8);
            map ??= new List<int>(input.Length + 9);
            for (int k = last; k < m.Index; k++) map.Add(k);
            text.Append(input[last..m.Index]);
            for (int k = 0; k < content.Length; k++) map.Add(k == 0 ? m.Index : m.Index + m.Length);
            text.Append(content);
            last = m.Index + m.Length;
        }
        if (text is null) { output = default; return false; }
        for (int k = last; k < input.Length; k++) map!.Add(k);
        text.Append(input[last..]);
        map!.Add(input.Length);
        output = new NormalizedText(text.ToString(), map.ToArray());
        return true;
    }
}

/// <summary>HF <c>Strip</c>: removes leading and/or trailing whitespace (Unicode <c>White_Space</c>).</summary>
internal sealed class StripNormalizer(bool left, bool right) : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output)
    {
        int start = 0, end = input.Length;
        if (left) while (start < end && char.IsWhiteSpace(input[start])) start++;
        if (right) while (end > start && char.IsWhiteSpace(input[end - 1])) end--;
        if (start == 0 && end == input.Length) { output = default; return false; }
        var map = new int[end - start + 1];
        for (int k = 0; k < map.Length; k++) map[k] = start + k;
        output = new NormalizedText(input[start..end].ToString(), map);
        return true;
    }
}

/// <summary>HF <c>StripAccents</c>: drops non-spacing marks (category Mn); usually after <c>NFD</c>.</summary>
internal sealed class StripAccentsNormalizer : TextNormalizer
{
    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output) =>
        CodePointMapper.TryMap(input, static (cp, _) =>
            System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp) == System.Globalization.UnicodeCategory.NonSpacingMark, out output);
}

/// <summary>
/// HF <c>BertNormalizer</c>: control chars dropped and whitespace made a space (<c>clean_text</c>), CJK ideographs
/// padded with spaces (<c>handle_chinese_chars</c>), accents stripped through NFD (<c>strip_accents</c>, which defaults
/// to <c>lowercase</c>), then lowercased.
/// </summary>
internal sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool stripAccents, bool lowercase) : TextNormalizer
{
    private readonly TextNormalizer _steps = new SequenceNormalizer(Steps(cleanText, handleChineseChars, stripAccents, lowercase));

    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output) => _steps.TryNormalize(input, out output);

    private static List<TextNormalizer> Steps(bool cleanText, bool handleChineseChars, bool stripAccents, bool lowercase)
    {
        var steps = new List<TextNormalizer>();
        if (cleanText) steps.Add(new CleanTextNormalizer());
        if (handleChineseChars) steps.Add(new ChineseCharsNormalizer());
        if (stripAccents)
        {
            steps.Add(new UnicodeNormalizer(NormalizationKind.Nfd));
            steps.Add(new StripAccentsNormalizer());
        }
        if (lowercase) steps.Add(new LowercaseNormalizer());
        return steps;
    }

    private sealed class CleanTextNormalizer : TextNormalizer
    {
        public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output) =>
            CodePointMapper.TryMap(input, static (cp, sb) =>
            {
                if (cp is '\t' or '\n' or '\r') { sb.Append(' '); return true; }
                if (cp == 0 || cp == 0xFFFD) return true;
                var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp);
                if (category is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                    or System.Globalization.UnicodeCategory.PrivateUse or System.Globalization.UnicodeCategory.OtherNotAssigned) return true;
                if (cp != ' ' && cp < 0x10000 && char.IsWhiteSpace((char)cp)) { sb.Append(' '); return true; }
                return false;
            }, out output);
    }

    private sealed class ChineseCharsNormalizer : TextNormalizer
    {
        public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output) =>
            CodePointMapper.TryMap(input, static (cp, sb) =>
            {
                if (!IsCjk(cp)) return false;
                sb.Append(' ');
                UnicodeNormalization.AppendCodePoint(sb, cp);
                sb.Append(' ');
                return true;
            }, out output);

        private static bool IsCjk(int cp) =>
            cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
                or >= 0x2B740 and <= 0x2B81F or >= 0x2B920 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
    }
}
