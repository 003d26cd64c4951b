using System.IO.Compression;

namespace Parley.Tokenization.Unicode;

/// <summary>
/// Unicode character data for normalization and lowercasing, built into Parley (see <c>generate_unicode_tables.py</c>)
/// so ids never depend on ICU or on <c>InvariantGlobalization</c>. Properties are looked up through a two-stage table
/// (256-code-point blocks, all-default blocks shared), decompositions and lowercase mappings live in one int pool.
/// </summary>
internal static partial class UnicodeTables
{
    // Per code point: canonical combining class in the low byte, flags above.
    private const int HasCanonical = 1 << 8;       // NFD(c) != c
    private const int HasCompatibility = 1 << 9;   // NFKD(c) != c
    private const int ChangesUnderNfc = 1 << 10;   // NFC(c) != c
    private const int ChangesUnderNfkc = 1 << 11;  // NFKC(c) != c
    private const int ComposesWithPrevious = 1 << 12;
    private const int HasLowercase = 1 << 13;

    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28, HangulNCount = HangulVCount * HangulTCount;
    private const int HangulSCount = HangulLCount * HangulNCount;

    private static readonly ushort[] Stage1 = new ushort[0x110000 >> 8];
    private static readonly List<ushort[]> Blocks = [new ushort[256]];
    private static readonly Dictionary<int, int> DecompositionAt = new();   // cp → pool index of its header
    private static readonly Dictionary<int, int> LowercaseAt = new();
    private static readonly Dictionary<long, int> Composites = new();
    private static readonly int[] Pool;

    static UnicodeTables()
    {
        byte[] raw = new byte[RawLength];
        using (var inflater = new DeflateStream(new MemoryStream(Convert.FromBase64String(Data)), CompressionMode.Decompress))
            inflater.ReadExactly(raw);
        Pool = new int[raw.Length / 4];
        for (int i = 0; i < Pool.Length; i++) Pool[i] = BitConverter.ToInt32(raw, i * 4);

        int p = 0;
        int count = Pool[p++];
        for (int i = 0; i < count; i++, p++) Set(Pool[p] >> 8, Pool[p] & 0xFF);

        count = Pool[p++];
        for (int i = 0; i < count; i++)
        {
            int header = Pool[p];
            int cp = header & 0x1FFFFF, canonical = (header >> 21) & 7, compat = (header >> 24) & 31;
            DecompositionAt[cp] = p;
            Set(cp, canonical > 0 ? HasCanonical | HasCompatibility : HasCompatibility);
            p += 1 + canonical + compat;
        }

        count = Pool[p++];
        for (int i = 0; i < count; i++, p += 3)
        {
            Composites[Pair(Pool[p], Pool[p + 1])] = Pool[p + 2];
            Set(Pool[p + 1], ComposesWithPrevious);
        }
        for (int v = 0; v < HangulVCount; v++) Set(HangulVBase + v, ComposesWithPrevious);
        for (int t = 1; t < HangulTCount; t++) Set(HangulTBase + t, ComposesWithPrevious);

        count = Pool[p++];
        for (int i = 0; i < count; i++)
        {
            int header = Pool[p];
            int cp = header & 0x1FFFFF;
            LowercaseAt[cp] = p;
            Set(cp, HasLowercase);
            p += 1 + (header >> 21);
        }

        // A code point changes under NFC when it decomposes and is not itself a primary composite (singletons,
        // exclusions); under NFKC also when its compatibility decomposition differs from the canonical one.
        var primary = new HashSet<int>(Composites.Values);
        foreach (var (cp, at) in DecompositionAt)
        {
            int header = Pool[at];
            bool canonical = ((header >> 21) & 7) > 0, compatDiffers = ((header >> 24) & 31) > 0;
            bool nfc = canonical && !primary.Contains(cp);
            Set(cp, (nfc ? ChangesUnderNfc : 0) | (nfc || compatDiffers ? ChangesUnderNfkc : 0));
        }
    }

    private static long Pair(int first, int second) => (long)first << 21 | (uint)second;

    private static void Set(int cp, int bits)
    {
        int block = Stage1[cp >> 8];
        if (block == 0)
        {
            Blocks.Add(new ushort[256]);
            block = Blocks.Count - 1;
            Stage1[cp >> 8] = (ushort)block;
        }
        Blocks[block][cp & 0xFF] |= (ushort)bits;
    }

    private static int Properties(int cp) => (uint)cp < 0x110000 ? Blocks[Stage1[cp >> 8]][cp & 0xFF] : 0;

    /// <summary>The canonical combining class (0 for starters).</summary>
    public static int CombiningClass(int cp) => Properties(cp) & 0xFF;

    /// <summary>Whether <paramref name="cp"/> may be left as it is by <paramref name="form"/> when it follows a starter-only text.</summary>
    public static bool IsStable(int cp, NormalizationKind form)
    {
        int props = Properties(cp);
        if ((props & 0xFF) != 0) return false;
        return form switch
        {
            NormalizationKind.Nfd => (props & HasCanonical) == 0 && !IsHangulSyllable(cp),
            NormalizationKind.Nfkd => (props & HasCompatibility) == 0 && !IsHangulSyllable(cp),
            NormalizationKind.Nfc => (props & (ChangesUnderNfc | ComposesWithPrevious)) == 0,
            _ => (props & (ChangesUnderNfkc | ComposesWithPrevious)) == 0,
        };
    }

    /// <summary>Whether a normalization segment may start at <paramref name="cp"/>: nothing before it can reorder or compose with it.</summary>
    public static bool StartsSegment(int cp, bool compatibility)
    {
        int props = Properties(cp);
        if ((props & 0xFF) != 0 || (props & ComposesWithPrevious) != 0) return false;
        if ((props & (compatibility ? HasCompatibility : HasCanonical)) == 0) return true;
        ReadOnlySpan<int> d = Decomposition(cp, compatibility);
        return d.IsEmpty || CombiningClass(d[0]) == 0;
    }

    /// <summary>The full decomposition of <paramref name="cp"/> (empty when it is its own), Hangul excluded.</summary>
    public static ReadOnlySpan<int> Decomposition(int cp, bool compatibility)
    {
        if (!DecompositionAt.TryGetValue(cp, out int at)) return [];
        int header = Pool[at];
        int canonical = (header >> 21) & 7, compat = (header >> 24) & 31;
        if (compatibility && compat > 0) return Pool.AsSpan(at + 1 + canonical, compat);
        return Pool.AsSpan(at + 1, canonical);
    }

    /// <summary>Appends the full decomposition of <paramref name="cp"/> (itself when none) to <paramref name="output"/>.</summary>
    public static void Decompose(int cp, bool compatibility, List<int> output)
    {
        if (IsHangulSyllable(cp))
        {
            int s = cp - HangulSBase;
            output.Add(HangulLBase + s / HangulNCount);
            output.Add(HangulVBase + s % HangulNCount / HangulTCount);
            if (s % HangulTCount != 0) output.Add(HangulTBase + s % HangulTCount);
            return;
        }
        ReadOnlySpan<int> d = Decomposition(cp, compatibility);
        if (d.IsEmpty) output.Add(cp);
        else foreach (int x in d) output.Add(x);
    }

    /// <summary>The primary composite of a pair, or -1.</summary>
    public static int Compose(int first, int second)
    {
        if (first >= HangulLBase && first < HangulLBase + HangulLCount && second >= HangulVBase && second < HangulVBase + HangulVCount)
            return HangulSBase + ((first - HangulLBase) * HangulVCount + second - HangulVBase) * HangulTCount;
        if (IsHangulSyllable(first) && (first - HangulSBase) % HangulTCount == 0 && second > HangulTBase && second < HangulTBase + HangulTCount)
            return first + second - HangulTBase;
        return (Properties(second) & ComposesWithPrevious) != 0 && Composites.TryGetValue(Pair(first, second), out int c) ? c : -1;
    }

    /// <summary>
    /// The lowercase of <paramref name="cp"/> as Rust's <c>char::to_lowercase</c> gives it (full mapping, no context:
    /// U+0130 → <c>i̇</c>); empty when it is its own lowercase.
    /// </summary>
    public static ReadOnlySpan<int> Lowercase(int cp)
    {
        if ((Properties(cp) & HasLowercase) == 0) return [];
        int at = LowercaseAt[cp];
        return Pool.AsSpan(at + 1, Pool[at] >> 21);
    }

    private static bool IsHangulSyllable(int cp) => cp >= HangulSBase && cp < HangulSBase + HangulSCount;
}

/// <summary>The four Unicode normalization forms.</summary>
internal enum NormalizationKind
{
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
}
