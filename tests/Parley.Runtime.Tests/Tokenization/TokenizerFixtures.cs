using System.Collections.Concurrent;
using System.Text.Json;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>Loads each fixture tokenizer and reference file once per test run.</summary>
internal static class TokenizerFixtures
{
    private static readonly ConcurrentDictionary<string, Lazy<ParleyTokenizer>> Cache = new();
    private static readonly ConcurrentDictionary<string, Lazy<JsonDocument>> Json = new();

    public static readonly string[] HfModels = ["phi-3", "qwen3", "opt"];

    public static string TokenizerFolder(string model) => model switch
    {
        "phi-3" => Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"),
        "qwen3" => Fixtures.Path("tokenizers", "qwen3"),
        "opt" => Fixtures.Path("tokenizers", "opt-350m"),
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    /// <summary>A shared tokenizer; tests that add tokens must load their own with <see cref="Fresh"/>.</summary>
    public static ParleyTokenizer Shared(string model)
    {
        string folder = TokenizerFolder(model);
        return Cache.GetOrAdd(model, _ => new Lazy<ParleyTokenizer>(() => ParleyTokenizer.FromTokenizerJson(folder))).Value;
    }

    public static ParleyTokenizer Fresh(string model) => ParleyTokenizer.FromTokenizerJson(TokenizerFolder(model));

    public static JsonElement Reference(string name)
    {
        string path = Fixtures.Path("reference", name);
        return Json.GetOrAdd(path, p => new Lazy<JsonDocument>(() => JsonDocument.Parse(File.ReadAllText(p)))).Value.RootElement;
    }

    public static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static int[][] IdLists(JsonElement array) =>
        array.EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    /// <summary>Asserts every text encodes to its expected ids; reports the first few mismatches with their text.</summary>
    public static void AssertAllEqual(string what, string[] texts, int[][] expected, Func<string, int[]> encode)
    {
        Assert.That(expected, Has.Length.EqualTo(texts.Length), $"{what}: reference holds {expected.Length} id lists for {texts.Length} texts");
        var failures = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            int[] got = encode(texts[i]);
            if (!got.AsSpan().SequenceEqual(expected[i]))
                failures.Add($"#{i} {JsonSerializer.Serialize(texts[i])}\n   got      [{string.Join(", ", got)}]\n   expected [{string.Join(", ", expected[i])}]");
        }
        Assert.That(failures, Is.Empty, $"{what}: {failures.Count} of {texts.Length} differ:\n" + string.Join("\n", failures.Take(5)));
    }
}
