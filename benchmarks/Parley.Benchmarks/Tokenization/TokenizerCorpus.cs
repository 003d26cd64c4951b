using System.Text;
using System.Text.Json;

namespace Parley.Benchmarks.Tokenization;

/// <summary>
/// Benchmark inputs read in place from the shared fixtures (<c>PARLEY_FIXTURES</c>, else <c>../shared/fixtures</c>
/// next to the folder holding <c>Parley.slnx</c>).
/// </summary>
public static class TokenizerCorpus
{
    private static readonly Dictionary<string, string[]> Loaded = new();

    public static string Fixtures
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
            if (!string.IsNullOrEmpty(env)) return env;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
            // BenchmarkDotNet runs from bin/Release/.../<random>/: fall back to the working directory's ancestors.
            for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
            throw new DirectoryNotFoundException("Fixtures not found: set PARLEY_FIXTURES to the shared fixtures folder.");
        }
    }

    public static string TokenizerJson(string model) => Path.Combine(Fixtures, "tokenizers", model switch
    {
        "phi-3" => "phi-3-mini-4k-instruct",
        "qwen3" => "qwen3",
        "opt" => "opt-350m",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "phi-3, qwen3 or opt"),
    }, "tokenizer.json");

    /// <summary>
    /// <c>yoda</c>: the 1,440 yoda sentences and translations (short, repetitive English).
    /// <c>mixed</c>: every string of the Jinja fixtures (50 real chat templates, rendered chats with code, JSON,
    /// tool calls, several languages) plus the yoda texts, cut into ~2 KB documents.
    /// </summary>
    public static string[] Get(string corpus)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(corpus, out string[]? texts)) return texts;
            texts = corpus switch
            {
                "yoda" => Yoda(),
                "mixed" => Mixed(),
                _ => throw new ArgumentOutOfRangeException(nameof(corpus), corpus, "yoda or mixed"),
            };
            Loaded[corpus] = texts;
            return texts;
        }
    }

    public static long Utf8Bytes(string corpus) => Get(corpus).Sum(t => (long)Encoding.UTF8.GetByteCount(t));

    private static string[] Yoda()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "reference", "tokenizer-ids.json")));
        return doc.RootElement.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static string[] Mixed()
    {
        var all = new StringBuilder();
        foreach (string file in new[] { "e2e-cases.json", "syntax-cases.json" })
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "jinja", file)));
            AppendStrings(doc.RootElement, all);
        }
        foreach (string t in Yoda()) all.Append(t).Append('\n');
        string text = all.ToString();

        var docs = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = Math.Min(text.Length, start + 2048);
            int newline = end < text.Length ? text.LastIndexOf('\n', end - 1, end - start) : -1;
            if (newline > start) end = newline + 1;
            if (end < text.Length && char.IsHighSurrogate(text[end - 1])) end++;
            docs.Add(text[start..end]);
            start = end;
        }
        return docs.ToArray();
    }

    private static void AppendStrings(JsonElement e, StringBuilder sb)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: sb.Append(e.GetString()).Append('\n'); break;
            case JsonValueKind.Array: foreach (JsonElement x in e.EnumerateArray()) AppendStrings(x, sb); break;
            case JsonValueKind.Object: foreach (JsonProperty p in e.EnumerateObject()) AppendStrings(p.Value, sb); break;
        }
    }
}
