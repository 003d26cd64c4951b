using System.Text;

namespace Parley.Runtime.Tests.Training.Support;

/// <summary>
/// Test-only encoder for llama2.c tokenizer files (<c>tok512.bin</c>): <c>run.c</c>'s algorithm — a dummy-prefix
/// space, one piece per UTF-8 character (byte fallback <c>&lt;0xXX&gt;</c> = byte + 3), then greedy merging of the
/// adjacent pair whose merged piece has the highest score.
/// </summary>
internal sealed class Llama2cTokenizer
{
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);
    private readonly float[] scores;

    public Llama2cTokenizer(string path, int vocabSize = 512)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        reader.ReadInt32(); // max token length
        scores = new float[vocabSize];
        for (var i = 0; i < vocabSize; i++)
        {
            scores[i] = reader.ReadSingle();
            var piece = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            ids.TryAdd(piece, i);
        }
    }

    public List<int> Encode(string text)
    {
        var tokens = new List<int>();
        if (text.Length == 0)
        {
            return tokens;
        }
        tokens.Add(ids[" "]);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (ids.TryGetValue(rune.ToString(), out var id))
            {
                tokens.Add(id);
                continue;
            }
            var n = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..n])
            {
                tokens.Add(b + 3);
            }
        }
        var pieces = ids.ToDictionary(kv => kv.Value, kv => kv.Key);
        while (true)
        {
            var best = -1;
            var bestScore = float.NegativeInfinity;
            var bestId = -1;
            for (var i = 0; i < tokens.Count - 1; i++)
            {
                if (ids.TryGetValue(pieces[tokens[i]] + pieces[tokens[i + 1]], out var merged) && scores[merged] > bestScore)
                {
                    best = i;
                    bestScore = scores[merged];
                    bestId = merged;
                }
            }
            if (best < 0)
            {
                return tokens;
            }
            tokens[best] = bestId;
            tokens.RemoveAt(best + 1);
        }
    }
}
