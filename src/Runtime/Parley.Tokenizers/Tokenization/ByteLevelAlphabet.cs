namespace Parley.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ printable-char map used by byte-level BPE vocabularies (<c>Ġ</c> is the space byte).
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The char standing for each byte.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>The byte each char stands for, or -1 (indexed by char, 0..323).</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[324];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }

    /// <summary>Decodes a byte-level token string into the bytes it stands for; chars outside the map are kept as UTF-8.</summary>
    public static void AppendBytes(string token, List<byte> bytes)
    {
        for (int i = 0; i < token.Length; i++)
        {
            char c = token[i];
            if (c < CharToByte.Length && CharToByte[c] >= 0) { bytes.Add((byte)CharToByte[c]); continue; }
            int units = char.IsHighSurrogate(c) && i + 1 < token.Length ? 2 : 1;
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(token, i, units));
            i += units - 1;
        }
    }
}
