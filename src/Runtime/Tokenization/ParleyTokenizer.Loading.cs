using System.Text.Json;

namespace Parley.Tokenization;

public sealed partial class ParleyTokenizer
{
    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>
    /// Loads a HF tokenizer from <c>tokenizer.json</c> (pass the file or its folder). <c>tokenizer_config.json</c> and
    /// <c>special_tokens_map.json</c> next to it, when present, name the BOS/EOS/UNK/PAD tokens and the padding side.
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
        using FileStream stream = File.OpenRead(file);
        using JsonDocument tokenizer = Parse(stream, file);
        return TokenizerJsonReader.Read(tokenizer.RootElement, file, config);
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

    private static JsonDocument Parse(Stream stream, string file)
    {
        try { return JsonDocument.Parse(stream, JsonOptions); }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, e.Path ?? "$", $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
    }
}
