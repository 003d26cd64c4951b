using System.Text.Json;

namespace Parley.Tokenization;

public sealed partial class ParleyTokenizer
{
    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>
    /// Loads whatever <paramref name="source"/> names: a folder holding <c>tokenizer.json</c> (preferred) or
    /// <c>tokenizer.model</c>, a <c>.json</c> file, a SentencePiece <c>.model</c> file, or a tiktoken encoding name
    /// (<c>gpt2</c>, <c>cl100k_base</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing loadable at <paramref name="source"/>; the message lists what was tried.</exception>
    /// <exception cref="TokenizerFormatException">The file found is malformed or unsupported.</exception>
    /// <example><code>
    /// var a = ParleyTokenizer.Load("models/qwen3");          // tokenizer.json in the folder
    /// var b = ParleyTokenizer.Load("stories260K/tok512.model");
    /// var c = ParleyTokenizer.Load("cl100k_base");
    /// </code></example>
    public static ParleyTokenizer Load(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Directory.Exists(source))
        {
            string json = System.IO.Path.Combine(source, "tokenizer.json");
            if (File.Exists(json)) return FromTokenizerJson(json);
            string model = System.IO.Path.Combine(source, "tokenizer.model");
            if (File.Exists(model)) return FromSentencePiece(model);
            throw new FileNotFoundException($"'{source}' holds neither tokenizer.json nor tokenizer.model.", json);
        }
        if (File.Exists(source))
            return source.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? FromTokenizerJson(source) : FromSentencePiece(source);
        if (TiktokenModel.SupportedEncodings.Contains(source, StringComparer.OrdinalIgnoreCase)) return FromTiktoken(source);
        throw new FileNotFoundException(
            $"'{source}' is not a folder, a file, or a tiktoken encoding ({string.Join(", ", TiktokenModel.SupportedEncodings)}). " +
            "Pass a HF model folder, a tokenizer.json, a SentencePiece .model, or an encoding name.", source);
    }

    /// <summary>
    /// Loads a HF tokenizer from <c>tokenizer.json</c> (pass the file or its folder). <c>tokenizer_config.json</c> and
    /// <c>special_tokens_map.json</c> next to it, when present, name the BOS/EOS/UNK/PAD tokens and the padding side.
    /// A BPE file's vocabulary and merges are kept in a binary cache verified by the file's SHA-256, so later loads skip
    /// the JSON parse (<c>PARLEY_TOKENIZER_CACHE_DIR</c> moves it, <c>off</c> disables it; default
    /// <c>~/.cache/parley/tokenizer-cache</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">No <c>tokenizer.json</c> at <paramref name="path"/>.</exception>
    /// <exception cref="TokenizerFormatException">A file is malformed or uses an unsupported feature; the message names the file and field.</exception>
    /// <example><code>var phi3 = ParleyTokenizer.FromTokenizerJson("models/phi-3-mini-4k-instruct");</code></example>
    public static ParleyTokenizer FromTokenizerJson(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = Directory.Exists(path) ? System.IO.Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file))
            throw new FileNotFoundException($"No tokenizer.json at '{path}'. Pass the file or the folder that holds it (a HF model snapshot).", file);
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;

        var config = new TokenizerConfig();
        foreach (string name in new[] { "tokenizer_config.json", "special_tokens_map.json" })
        {
            string side = System.IO.Path.Combine(folder, name);
            if (!File.Exists(side)) continue;
            using FileStream s = File.OpenRead(side);
            using JsonDocument doc = Parse(s, side);
            config.Read(doc.RootElement, side);
        }
        return ReadCached(File.ReadAllBytes(file), file, config, TokenizerBinaryCache.DefaultDirectory);
    }

    /// <summary>
    /// Loads from the binary cache when it holds these exact bytes (verified by SHA-256), else parses the JSON and
    /// fills the cache for next time. <paramref name="cacheDirectory"/> null: no cache.
    /// </summary>
    internal static ParleyTokenizer ReadCached(byte[] json, string file, TokenizerConfig config, string? cacheDirectory)
    {
        byte[]? hash = null;
        if (cacheDirectory is not null)
        {
            hash = TokenizerBinaryCache.Hash(json);
            if (TokenizerBinaryCache.TryRead(cacheDirectory, hash, out byte[] rest, out BpeTables cached))
            {
                using JsonDocument small = Parse(rest, file);
                return TokenizerJsonReader.Read(small.RootElement, file, config, cached, out _);
            }
        }
        using JsonDocument tokenizer = Parse(json, file);
        ParleyTokenizer result = TokenizerJsonReader.Read(tokenizer.RootElement, file, config, null, out BpeTables? tables);
        if (cacheDirectory is not null && tables is not null) TokenizerBinaryCache.TryWrite(cacheDirectory, hash!, tokenizer.RootElement, tables);
        return result;
    }

    /// <summary>
    /// Loads a HF tokenizer from streams holding <c>tokenizer.json</c> and, optionally, <c>tokenizer_config.json</c>
    /// and <c>special_tokens_map.json</c>.
    /// </summary>
    /// <exception cref="TokenizerFormatException">A stream is malformed or uses an unsupported feature.</exception>
    /// <example><code>
    /// using var json = File.OpenRead("tokenizer.json");
    /// var tok = ParleyTokenizer.FromTokenizerJson(json, sourceName: "qwen3/tokenizer.json");
    /// </code></example>
    public static ParleyTokenizer FromTokenizerJson(Stream tokenizerJson, Stream? tokenizerConfig = null, Stream? specialTokensMap = null, string sourceName = "tokenizer.json")
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        var config = new TokenizerConfig();
        if (tokenizerConfig is not null)
        {
            using JsonDocument doc = Parse(tokenizerConfig, "tokenizer_config.json");
            config.Read(doc.RootElement, "tokenizer_config.json");
        }
        if (specialTokensMap is not null)
        {
            using JsonDocument doc = Parse(specialTokensMap, "special_tokens_map.json");
            config.Read(doc.RootElement, "special_tokens_map.json");
        }
        using JsonDocument tokenizer = Parse(tokenizerJson, sourceName);
        return TokenizerJsonReader.Read(tokenizer.RootElement, sourceName, config);
    }

    private static JsonDocument Parse(byte[] json, string file)
    {
        try { return JsonDocument.Parse(json, JsonOptions); }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, e.Path ?? "$", $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
    }

    private static JsonDocument Parse(Stream stream, string file)
    {
        try { return JsonDocument.Parse(stream, JsonOptions); }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, e.Path ?? "$", $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads a SentencePiece <c>.model</c> file: BPE (Llama 2, llama2.c's <c>tok512.model</c>) or unigram (T5, ALBERT,
    /// XLNet kind, with its precompiled normalization rules). Ids equal the SentencePiece library's <c>encode</c>; BOS/EOS/UNK/PAD roles come from the model's trainer spec. <paramref name="addBos"/> and
    /// <paramref name="addEos"/> say what <c>Encode(text, addSpecialTokens: true)</c> puts around the text (HF
    /// <c>LlamaTokenizer</c> defaults). Control pieces such as <c>&lt;s&gt;</c> in text are plain text, as in SentencePiece.
    /// </summary>
    /// <exception cref="TokenizerFormatException">The file is not a SentencePiece BPE model with the identity normalizer.</exception>
    /// <example><code>var llama = ParleyTokenizer.FromSentencePiece("llama-2/tokenizer.model");</code></example>
    public static ParleyTokenizer FromSentencePiece(string path, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No SentencePiece model at '{path}'. Pass the path of a .model file (e.g. tokenizer.model).", path);
        return FromSentencePiece(File.ReadAllBytes(path), path, addBos, addEos);
    }

    /// <summary>Loads a SentencePiece BPE model from its bytes; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="TokenizerFormatException">The bytes are not a SentencePiece BPE model with the identity normalizer.</exception>
    /// <example><code>var tok = ParleyTokenizer.FromSentencePiece(File.ReadAllBytes("tok512.model"), "tok512.model", addBos: false);</code></example>
    public static ParleyTokenizer FromSentencePiece(ReadOnlySpan<byte> model, string sourceName, bool addBos = true, bool addEos = false)
    {
        var proto = SentencePieceModelProto.Parse(model, sourceName);
        ITokenModel spm = proto.ModelType == 1 ? new SentencePieceUnigramModel(proto, sourceName) : new SentencePieceBpeModel(proto, sourceName);
        var roles = new Dictionary<SpecialTokenRole, string>();
        void Role(SpecialTokenRole role, int id)
        {
            if (id >= 0 && id < proto.Pieces.Count) roles[role] = proto.Pieces[id].Piece;
        }
        Role(SpecialTokenRole.Bos, proto.BosId);
        Role(SpecialTokenRole.Eos, proto.EosId);
        Role(SpecialTokenRole.Unk, proto.UnkId);
        Role(SpecialTokenRole.Pad, proto.PadId);
        var post = new PostProcessor(
            addBos && proto.BosId >= 0 ? [proto.BosId] : [],
            addEos && proto.EosId >= 0 ? [proto.EosId] : []);
        return new ParleyTokenizer(spm, [], post, roles, [], PaddingSide.Right, sourceName);
    }

    /// <summary>
    /// Loads a tiktoken encoding shipped by the <c>Microsoft.ML.Tokenizers.Data.*</c> packages: <c>"gpt2"</c> or
    /// <c>"cl100k_base"</c>. Its special tokens (<c>&lt;|endoftext|&gt;</c>, …) are added special tokens; EOS is
    /// <c>&lt;|endoftext|&gt;</c>. Encoding adds no tokens around the text, as tiktoken.
    /// </summary>
    /// <exception cref="ArgumentException">The encoding name is not one of the supported ones.</exception>
    /// <example><code>var gpt4 = ParleyTokenizer.FromTiktoken("cl100k_base"); int[] ids = gpt4.EncodeToIds("hello world"); // [15339, 1917]</code></example>
    public static ParleyTokenizer FromTiktoken(string encodingName)
    {
        ArgumentNullException.ThrowIfNull(encodingName);
        TiktokenModel model = TiktokenModel.Create(encodingName);
        var added = model.SpecialTokens.OrderBy(kv => kv.Value).Select(kv => new AddedToken(kv.Key, kv.Value, Special: true));
        var roles = new Dictionary<SpecialTokenRole, string> { [SpecialTokenRole.Eos] = "<|endoftext|>" };
        return new ParleyTokenizer(model, added, PostProcessor.None, roles, [], PaddingSide.Right, encodingName);
    }
}
