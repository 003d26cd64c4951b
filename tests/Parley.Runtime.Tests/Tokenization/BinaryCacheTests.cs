using System.Text;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>The binary cache of parsed tokenizer.json files: same ids from the cache, and never a stale or broken entry.</summary>
[TestFixture]
public class BinaryCacheTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("parley-cache-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void A_cached_load_encodes_and_decodes_like_the_json_load()
    {
        string file = Path.Combine(TokenizerFixtures.TokenizerFolder("qwen3"), "tokenizer.json");
        byte[] json = File.ReadAllBytes(file);
        ParleyTokenizer fromJson = ParleyTokenizer.ReadCached(json, file, new TokenizerConfig(), _dir);
        Assert.That(Directory.GetFiles(_dir, "*.bpe"), Has.Length.EqualTo(1), "the first load writes the cache");
        ParleyTokenizer fromCache = ParleyTokenizer.ReadCached(json, file, new TokenizerConfig(), _dir);
        const string text = "<|im_start|>user\nCafé 🤖 naïve code: def f(x): return x**2<|im_end|>";
        Assert.That(fromCache.EncodeToIds(text), Is.EqualTo(fromJson.EncodeToIds(text)));
        Assert.That(fromCache.EncodeToIds(text), Is.EqualTo(ParleyTokenizer.FromTokenizerJson(file).EncodeToIds(text)));
        Assert.That(fromCache.Decode(fromCache.EncodeToIds(text)), Is.EqualTo(text));
        Assert.That(fromCache.Count, Is.EqualTo(fromJson.Count));
    }

    [Test]
    public void Edited_json_or_a_corrupt_cache_file_never_loads_stale_tables()
    {
        string v1 = """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}""";
        string v2 = """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": []}}""";
        Assert.That(Load(v1).EncodeToIds("ab"), Is.EqualTo(new[] { 2 }));
        Assert.That(Load(v2).EncodeToIds("ab"), Is.EqualTo(new[] { 0, 1 }), "other bytes, other cache entry");
        foreach (string f in Directory.GetFiles(_dir, "*.bpe")) File.WriteAllBytes(f, File.ReadAllBytes(f)[..20]);
        Assert.That(Load(v1).EncodeToIds("ab"), Is.EqualTo(new[] { 2 }), "a truncated cache file is ignored and rewritten");
        Assert.That(Load(v1).EncodeToIds("ab"), Is.EqualTo(new[] { 2 }));
    }

    private ParleyTokenizer Load(string json) => ParleyTokenizer.ReadCached(Encoding.UTF8.GetBytes(json), "tokenizer.json", new TokenizerConfig(), _dir);
}

/// <summary><see cref="ParleyTokenizer.EncodeBatchToIds"/>: every core, same ids as one at a time, in order.</summary>
[TestFixture]
public class BatchEncodingTests
{
    [Test]
    public void Batch_ids_equal_one_at_a_time_in_input_order()
    {
        ParleyTokenizer tok = TokenizerFixtures.Shared("qwen3");
        string[] texts = Enumerable.Range(0, 500).Select(i => $"row {i}: {new string('x', i % 37)} café 🤖 <|im_end|>").ToArray();
        int[][] batch = tok.EncodeBatchToIds(texts, addSpecialTokens: false, maxDegreeOfParallelism: 4);
        Assert.That(batch, Has.Length.EqualTo(texts.Length));
        for (int i = 0; i < texts.Length; i++)
            Assert.That(batch[i], Is.EqualTo(tok.EncodeToIds(texts[i], addSpecialTokens: false)), $"text #{i}");
        Assert.That(tok.EncodeBatchToIds([]), Is.Empty);
    }
}
