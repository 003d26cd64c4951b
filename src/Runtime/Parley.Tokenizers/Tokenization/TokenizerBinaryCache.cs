using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Parley.Tokenization;

/// <summary>The big tables of a BPE <c>tokenizer.json</c>: vocabulary and merges, as ids.</summary>
/// <param name="Tokens">Token string per id (null where the vocabulary has a gap).</param>
/// <param name="Vocabulary">Token → id.</param>
/// <param name="Merges">(left, right, rank, merged) per merge, in rank order.</param>
internal sealed record BpeTables(string[] Tokens, Dictionary<string, int> Vocabulary, int[] Merges);

/// <summary>
/// A binary cache of parsed BPE <c>tokenizer.json</c> files, so a file parses once per machine: the vocabulary and
/// merges as arrays, the rest of the JSON (a few KB) as JSON. Files are named and verified by the SHA-256 of the
/// <c>tokenizer.json</c> bytes, so an edited file never loads stale tables; a cache file that fails any check is ignored
/// and rewritten. The folder is <c>PARLEY_TOKENIZER_CACHE_DIR</c> (<c>off</c> disables the cache), else
/// <c>parley/tokenizer-cache</c> under the user's cache folder. Write errors are swallowed: the cache is an optimisation.
/// </summary>
internal static class TokenizerBinaryCache
{
    private const ulong Magic = 0x314B4F5459524C50; // "PLRYTOK1"
    private const int Version = 1; // bump when the reader's tables or the rest-of-JSON layout change meaning

    /// <summary>The cache folder, or null when caching is off.</summary>
    public static string? DefaultDirectory
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("PARLEY_TOKENIZER_CACHE_DIR");
            if (env is "off" or "none" or "0") return null;
            if (!string.IsNullOrEmpty(env)) return env;
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg) ? xdg
                : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache")
                : Path.GetTempPath();
            return Path.Combine(root, "parley", "tokenizer-cache");
        }
    }

    public static byte[] Hash(ReadOnlySpan<byte> json) => SHA256.HashData(json);

    private static string FileFor(string directory, byte[] hash) => Path.Combine(directory, Convert.ToHexStringLower(hash) + ".bpe");

    public static bool TryRead(string directory, byte[] hash, out byte[] restJson, out BpeTables tables)
    {
        restJson = [];
        tables = null!;
        string file = FileFor(directory, hash);
        try
        {
            if (!File.Exists(file)) return false;
            byte[] data = File.ReadAllBytes(file);
            var r = new SpanReader(data);
            if (r.ReadUInt64() != Magic || r.ReadInt32() != Version || !r.ReadBytes(32).SequenceEqual(hash)) return false;
            restJson = r.ReadBytes(r.ReadInt32()).ToArray();

            int count = r.ReadInt32();
            ReadOnlySpan<int> lengths = MemoryMarshal.Cast<byte, int>(r.ReadBytes(count * 4));
            int totalChars = r.ReadInt32();
            ReadOnlySpan<char> chars = MemoryMarshal.Cast<byte, char>(r.ReadBytes(totalChars * 2));
            var tokens = new string[count]; // gaps in the ids stay null, as in the JSON reader
            var vocab = new Dictionary<string, int>(count, StringComparer.Ordinal);
            int at = 0;
            for (int id = 0; id < count; id++)
            {
                if (lengths[id] < 0) continue;
                string token = new(chars.Slice(at, lengths[id]));
                at += lengths[id];
                tokens[id] = token;
                vocab[token] = id;
            }
            int merges = r.ReadInt32();
            int[] quads = MemoryMarshal.Cast<byte, int>(r.ReadBytes(merges * 16)).ToArray();
            if (!r.AtEnd) return false;
            tables = new BpeTables(tokens, vocab, quads);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException or InvalidDataException)
        {
            return false;
        }
    }

    public static void TryWrite(string directory, byte[] hash, JsonElement root, BpeTables tables)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string file = FileFor(directory, hash);
            string temp = file + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var w = new BinaryWriter(stream))
            {
                w.Write(Magic);
                w.Write(Version);
                w.Write(hash);
                byte[] rest = RestJson(root);
                w.Write(rest.Length);
                w.Write(rest);
                w.Write(tables.Tokens.Length);
                int total = 0;
                foreach (string? t in tables.Tokens)
                {
                    w.Write(t?.Length ?? -1);
                    total += t?.Length ?? 0;
                }
                w.Write(total);
                foreach (string? t in tables.Tokens)
                    if (t is not null) w.Write(MemoryMarshal.AsBytes(t.AsSpan()));
                w.Write(tables.Merges.Length / 4);
                w.Write(MemoryMarshal.AsBytes(tables.Merges.AsSpan()));
            }
            File.Move(temp, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No cache this time; the tokenizer loaded from JSON is the same.
        }
    }

    // The whole tokenizer.json except model.vocab and model.merges.
    private static byte[] RestJson(JsonElement root)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (p.Name == "model" && p.Value.ValueKind == JsonValueKind.Object)
                {
                    w.WritePropertyName("model");
                    w.WriteStartObject();
                    foreach (JsonProperty m in p.Value.EnumerateObject())
                        if (m.Name is not ("vocab" or "merges")) m.WriteTo(w);
                    w.WriteEndObject();
                }
                else p.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool AtEnd => _at == _data.Length;

        public ReadOnlySpan<byte> ReadBytes(int count)
        {
            if (count < 0 || count > _data.Length - _at) throw new InvalidDataException("truncated cache file");
            ReadOnlySpan<byte> s = _data.Slice(_at, count);
            _at += count;
            return s;
        }

        public int ReadInt32() => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

        public ulong ReadUInt64() => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
    }
}
