using System.Text;
using Parley.Tokenization.Unicode;

namespace Parley.Tokenization;

/// <summary>
/// Rewrites text one code point at a time (lowercasing, accent stripping, control-char cleaning) and keeps the map back
/// to the input: each output char of a rewritten code point maps to that code point's start (its continuation chars to
/// its end), and a code point rewritten to nothing leaves no char.
/// </summary>
internal static class CodePointMapper
{
    /// <summary>Appends the replacement of a code point to the builder and returns true, or returns false to keep it.</summary>
    public delegate bool Rewrite(int codePoint, StringBuilder output);

    public static bool TryMap(ReadOnlySpan<char> input, Rewrite rewrite, out NormalizedText output)
    {
        StringBuilder? text = null;
        List<int>? map = null;
        bool sameLength = true;
        var scratch = new StringBuilder(8);
        int i = 0;
        while (i < input.Length)
        {
            int cp = UnicodeNormalization.ReadCodePoint(input, i, out int units);
            scratch.Clear();
            if (rewrite(cp, scratch) && !Same(scratch, input.Slice(i, units)))
            {
                if (text is null)
                {
                    text = new StringBuilder(input.Length + 8).Append(input[..i]);
                    map = new List<int>(input.Length + 9);
                    for (int k = 0; k < i; k++) map.Add(k);
                }
                if (scratch.Length != units) sameLength = false;
                for (int k = 0; k < scratch.Length; k++) map!.Add(k == 0 ? i : i + units);
                text.Append(scratch);
            }
            else if (text is not null)
            {
                text.Append(input.Slice(i, units));
                for (int k = 0; k < units; k++) map!.Add(i + k);
            }
            i += units;
        }
        if (text is null) { output = default; return false; }
        map!.Add(input.Length);
        output = new NormalizedText(text.ToString(), sameLength ? null : map.ToArray());
        return true;
    }

    private static bool Same(StringBuilder a, ReadOnlySpan<char> b)
    {
        if (a.Length != b.Length) return false;
        for (int k = 0; k < b.Length; k++) if (a[k] != b[k]) return false;
        return true;
    }
}
