using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Parley.Tokenization;

/// <summary>
/// HF <c>Precompiled</c>: SentencePiece's compiled normalization rules (<c>precompiled_charsmap</c>, a darts-clone
/// double-array trie over UTF-8 keys plus a blob of NUL-terminated replacements). As HF, each grapheme shorter than six
/// UTF-8 bytes is looked up whole, otherwise char by char; a lookup takes the first (shortest) prefix the trie knows.
/// </summary>
internal sealed class PrecompiledNormalizer : TextNormalizer
{
    private readonly uint[] _trie;
    private readonly byte[] _normalized;

    internal PrecompiledNormalizer(uint[] trie, byte[] normalized)
    {
        _trie = trie;
        _normalized = normalized;
    }

    public static TextNormalizer? FromBase64(string? base64, string file, string field)
    {
        if (string.IsNullOrEmpty(base64)) return null; // an empty charsmap normalizes nothing
        byte[] blob;
        try { blob = Convert.FromBase64String(base64); }
        catch (FormatException) { throw new TokenizerFormatException(file, field, "not valid base64."); }
        return FromBlob(blob, file, field);
    }

    /// <summary>Reads the charsmap blob: a little-endian trie size, the trie, then the replacements.</summary>
    internal static PrecompiledNormalizer FromBlob(byte[] blob, string file, string field)
    {
        if (blob.Length < 4) throw new TokenizerFormatException(file, field, "too short to hold a trie size.");
        int trieSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize % 4 != 0 || 4 + trieSize > blob.Length)
            throw new TokenizerFormatException(file, field, $"trie size {trieSize} does not fit the {blob.Length}-byte blob.");
        var trie = new uint[trieSize / 4];
        for (int i = 0; i < trie.Length; i++) trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + i * 4));
        return new PrecompiledNormalizer(trie, blob[(4 + trieSize)..]);
    }

    /// <summary>
    /// SentencePiece's own lookup (<c>normalizer.cc</c>): the longest rule that is a prefix of <paramref name="key"/>;
    /// false when none is. <paramref name="length"/> is the matched byte count.
    /// </summary>
    internal bool TryLongestPrefix(ReadOnlySpan<byte> key, out int length, out ReadOnlySpan<byte> replacement)
    {
        length = 0;
        replacement = default;
        if (_trie.Length == 0) return false;
        int value = -1;
        long node = Offset(_trie[0]);
        for (int i = 0; i < key.Length; i++)
        {
            byte c = key[i];
            if (c == 0) break;
            node ^= c;
            if ((ulong)node >= (ulong)_trie.Length) break;
            uint unit = _trie[node];
            if ((unit & ((1u << 31) | 0xFF)) != c) break;
            node ^= Offset(unit);
            if ((ulong)node >= (ulong)_trie.Length) break;
            if (((unit >> 8) & 1) == 1) { value = (int)(_trie[node] & ((1u << 31) - 1)); length = i + 1; }
        }
        if (value < 0 || value >= _normalized.Length) { length = 0; return false; }
        int end = Array.IndexOf(_normalized, (byte)0, value);
        replacement = _normalized.AsSpan(value, (end < 0 ? _normalized.Length : end) - value);
        return true;
    }

    public override bool TryNormalize(ReadOnlySpan<char> input, out NormalizedText output)
    {
        string s = input.ToString();
        var text = new StringBuilder(s.Length + 8);
        var map = new List<int>(s.Length + 9);
        bool changed = false;
        Span<byte> utf8 = stackalloc byte[64];
        var elements = StringInfo.GetTextElementEnumerator(s);
        while (elements.MoveNext())
        {
            int start = elements.ElementIndex;
            string grapheme = (string)elements.Current;
            if (Encoding.UTF8.GetByteCount(grapheme) < 6 && TryTransform(grapheme, utf8, out string? whole))
            {
                Append(whole, grapheme, start, text, map, ref changed);
                continue;
            }
            for (int i = 0; i < grapheme.Length;)
            {
                int units = char.IsHighSurrogate(grapheme[i]) && i + 1 < grapheme.Length && char.IsLowSurrogate(grapheme[i + 1]) ? 2 : 1;
                string part = grapheme.Substring(i, units);
                Append(TryTransform(part, utf8, out string? norm) ? norm : part, part, start + i, text, map, ref changed);
                i += units;
            }
        }
        map.Add(s.Length);
        if (!changed) { output = default; return false; }
        output = new NormalizedText(text.ToString(), map.ToArray());
        return true;
    }

    private static void Append(string replacement, string source, int start, StringBuilder text, List<int> map, ref bool changed)
    {
        if (replacement == source)
        {
            for (int k = 0; k < source.Length; k++) map.Add(start + k);
        }
        else
        {
            changed = true;
            for (int k = 0; k < replacement.Length; k++) map.Add(k == 0 ? start : start + source.Length);
        }
        text.Append(replacement);
    }

    private bool TryTransform(string chunk, Span<byte> buffer, out string replacement)
    {
        replacement = chunk;
        int length = Encoding.UTF8.GetByteCount(chunk);
        Span<byte> key = length <= buffer.Length ? buffer[..length] : new byte[length];
        Encoding.UTF8.GetBytes(chunk, key);
        int value = FirstPrefixValue(key);
        if (value < 0 || value >= _normalized.Length) return false;
        int end = Array.IndexOf(_normalized, (byte)0, value);
        replacement = Encoding.UTF8.GetString(_normalized, value, (end < 0 ? _normalized.Length : end) - value);
        return true;
    }

    // darts-clone common-prefix search, stopping at the first key that is a prefix of the input.
    private int FirstPrefixValue(ReadOnlySpan<byte> key)
    {
        if (_trie.Length == 0) return -1;
        long node = Offset(_trie[0]);
        foreach (byte c in key)
        {
            if (c == 0) break;
            node ^= c;
            if ((ulong)node >= (ulong)_trie.Length) return -1;
            uint unit = _trie[node];
            if ((unit & ((1u << 31) | 0xFF)) != c) return -1;
            node ^= Offset(unit);
            if ((ulong)node >= (ulong)_trie.Length) return -1;
            if (((unit >> 8) & 1) == 1) return (int)(_trie[node] & ((1u << 31) - 1));
        }
        return -1;
    }

    private static long Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
