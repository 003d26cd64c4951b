using System.Text;

namespace Parley.Tokenization.Unicode;

/// <summary>
/// NFC, NFD, NFKC and NFKD from Parley's own Unicode tables (UAX #15: full decomposition, canonical ordering, canonical
/// composition), with the way back to the input for token offsets. It gives the same text with and without ICU,
/// where <see cref="string.Normalize()"/> does nothing under <c>InvariantGlobalization</c>.
/// </summary>
internal static class UnicodeNormalization
{
    /// <summary>Whether <paramref name="text"/> is already in <paramref name="form"/> by the quick check (false means maybe not).</summary>
    public static bool IsQuickNormalized(ReadOnlySpan<char> text, NormalizationKind form)
    {
        int firstNonAscii = text.IndexOfAnyExceptInRange('\0', '\u007F');
        if (firstNonAscii < 0) return true;
        for (int i = firstNonAscii; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x80) continue;
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) cp = char.ConvertToUtf32(c, text[++i]);
            if (!UnicodeTables.IsStable(cp, form)) return false;
        }
        return true;
    }

    /// <summary>The text in <paramref name="form"/>.</summary>
    public static string Normalize(string text, NormalizationKind form) =>
        TryNormalize(text, form, out NormalizedText n) ? n.Text : text;

    /// <summary>
    /// Normalizes <paramref name="input"/>; false when it is already normalized. The text is cut into segments that
    /// nothing can reorder or compose across (a starter and the marks after it); a segment that changes maps its
    /// first output char to the segment's start and the rest to its end.
    /// </summary>
    public static bool TryNormalize(ReadOnlySpan<char> input, NormalizationKind form, out NormalizedText output)
    {
        if (IsQuickNormalized(input, form)) { output = default; return false; }
        bool compat = form is NormalizationKind.Nfkc or NormalizationKind.Nfkd;
        bool compose = form is NormalizationKind.Nfc or NormalizationKind.Nfkc;

        var text = new StringBuilder(input.Length + 16);
        var map = new List<int>(input.Length + 17);
        var codePoints = new List<int>(16);
        var scratch = new StringBuilder(16);
        bool changed = false;
        int segmentStart = 0;
        for (int i = 0; i < input.Length;)
        {
            int cp = ReadCodePoint(input, i, out int units);
            if (i > segmentStart && UnicodeTables.StartsSegment(cp, compat))
            {
                changed |= AppendSegment(input, segmentStart, i, compat, compose, codePoints, scratch, text, map);
                segmentStart = i;
            }
            i += units;
        }
        changed |= AppendSegment(input, segmentStart, input.Length, compat, compose, codePoints, scratch, text, map);
        map.Add(input.Length);
        if (!changed) { output = default; return false; }
        output = new NormalizedText(text.ToString(), map.ToArray());
        return true;
    }

    private static bool AppendSegment(ReadOnlySpan<char> input, int start, int end, bool compat, bool compose,
        List<int> codePoints, StringBuilder scratch, StringBuilder text, List<int> map)
    {
        ReadOnlySpan<char> segment = input[start..end];
        codePoints.Clear();
        for (int i = 0; i < segment.Length;)
        {
            UnicodeTables.Decompose(ReadCodePoint(segment, i, out int units), compat, codePoints);
            i += units;
        }
        SortCanonically(codePoints);
        if (compose) Compose(codePoints);

        scratch.Clear();
        foreach (int cp in codePoints) AppendCodePoint(scratch, cp);
        bool same = scratch.Length == segment.Length;
        for (int k = 0; same && k < segment.Length; k++) same = scratch[k] == segment[k];
        if (same)
        {
            text.Append(segment);
            for (int k = 0; k < segment.Length; k++) map.Add(start + k);
            return false;
        }
        text.Append(scratch);
        for (int k = 0; k < scratch.Length; k++) map.Add(k == 0 ? start : end);
        return true;
    }

    // Canonical ordering: each run of non-starters is sorted by combining class, keeping equal classes in order.
    private static void SortCanonically(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int cp = cps[i];
            int ccc = UnicodeTables.CombiningClass(cp);
            if (ccc == 0) continue;
            int j = i;
            while (j > 0 && UnicodeTables.CombiningClass(cps[j - 1]) > ccc)
            {
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    // UAX #15 canonical composition: a char composes with the last starter unless a char of the same or higher class
    // (or a starter) sits between them.
    private static void Compose(List<int> cps)
    {
        if (cps.Count < 2) return;
        int starterPos = 0;
        int starter = cps[0];
        int lastClass = UnicodeTables.CombiningClass(starter) == 0 ? 0 : 256;
        int write = 1;
        for (int read = 1; read < cps.Count; read++)
        {
            int cp = cps[read];
            int ccc = UnicodeTables.CombiningClass(cp);
            int composite = lastClass < 256 ? UnicodeTables.Compose(starter, cp) : -1;
            if (composite >= 0 && (lastClass < ccc || lastClass == 0 && write == starterPos + 1))
            {
                cps[starterPos] = composite;
                starter = composite;
                continue;
            }
            if (ccc == 0)
            {
                starterPos = write;
                starter = cp;
            }
            lastClass = ccc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    internal static int ReadCodePoint(ReadOnlySpan<char> s, int i, out int units)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            units = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        units = 1;
        return c; // a lone surrogate passes through as itself
    }

    internal static void AppendCodePoint(StringBuilder sb, int cp)
    {
        if (cp < 0x10000) sb.Append((char)cp);
        else
        {
            cp -= 0x10000;
            sb.Append((char)(0xD800 + (cp >> 10))).Append((char)(0xDC00 + (cp & 0x3FF)));
        }
    }
}
