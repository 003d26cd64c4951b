using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>Properties over random text mixing ASCII, whitespace runs, CJK, emoji and combining marks.</summary>
[TestFixture]
public class TokenizerPropertyTests
{
    private static readonly string[] Fragments =
    [
        "a", "The", " ", "  ", "\n", "\t", "\r\n", "don't", "123", "3.14", "日本", "語", "🤖", "👍🏽", "é", "e\u0301",
        "<|im_start|>", "<|end|>", "</s>", "<s>", "▁", "##", "café", "ß", "x", "\u00a0", "—",
    ];

    /// <summary>300 random texts, the same on every run (fixed seed).</summary>
    private static IEnumerable<string> Texts()
    {
        var random = new Random(20261129);
        for (int i = 0; i < 300; i++)
            yield return string.Concat(Enumerable.Range(0, random.Next(0, 25)).Select(_ => Fragments[random.Next(Fragments.Length)]));
    }

    private static readonly Lazy<ParleyTokenizer> Tok512 = new(() =>
        ParleyTokenizer.FromSentencePiece(Fixtures.Path("models", "stories260K", "tok512.model")));

    [TestCaseSource(typeof(TokenizerFixtures), nameof(TokenizerFixtures.HfModels))]
    public void Offsets_partition_random_text(string model)
    {
        ParleyTokenizer tok = TokenizerFixtures.Shared(model);
        foreach (string text in Texts())
        {
            OffsetAssert.Partitions(tok.Encode(text), text);
            OffsetAssert.Partitions(tok.Encode(text, addSpecialTokens: false, parseSpecialTokens: false), text);
        }
    }

    [Test]
    public void Offsets_partition_random_text_for_sentencepiece() =>
        Assert.Multiple(() =>
        {
            foreach (string text in Texts()) OffsetAssert.Partitions(Tok512.Value.Encode(text), text);
        });

    [TestCase("opt")]
    [TestCase("qwen3")]
    public void Byte_level_decode_inverts_encode_on_nfc_text(string model)
    {
        ParleyTokenizer tok = TokenizerFixtures.Shared(model);
        foreach (string text in Texts().Where(t => Parley.Tokenization.Unicode.UnicodeNormalization.Normalize(t, Parley.Tokenization.Unicode.NormalizationKind.Nfc) == t))
            Assert.That(tok.Decode(tok.EncodeToIds(text, addSpecialTokens: false)), Is.EqualTo(text));
    }

    [TestCaseSource(typeof(TokenizerFixtures), nameof(TokenizerFixtures.HfModels))]
    public void Ids_only_and_with_offsets_agree(string model)
    {
        ParleyTokenizer tok = TokenizerFixtures.Shared(model);
        foreach (string text in Texts())
            Assert.That(tok.EncodeToIds(text), Is.EqualTo(tok.Encode(text).Ids), text);
    }

    [Test]
    public void Qwen3_normalizes_decomposed_accents_to_nfc_like_hf()
    {
        ParleyTokenizer tok = TokenizerFixtures.Shared("qwen3");
        const string decomposed = "cafe\u0301 ok";
        TokenizedText t = tok.Encode(decomposed);
        Assert.Multiple(() =>
        {
            Assert.That(t.Ids, Is.EqualTo(tok.EncodeToIds("café ok")));
            OffsetAssert.Partitions(t, decomposed);
        });
    }

    [TestCaseSource(typeof(TokenizerFixtures), nameof(TokenizerFixtures.HfModels))]
    public void Parallel_encoding_with_one_shared_tokenizer_matches_sequential(string model)
    {
        ParleyTokenizer tok = TokenizerFixtures.Fresh(model); // cold caches, filled concurrently
        string[] texts = TokenizerFixtures.Strings(TokenizerFixtures.Reference("tokenizer-ids.json").GetProperty("texts"))
            .Concat(Texts()).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = tok.EncodeToIds(texts[i]));
        for (int i = 0; i < texts.Length; i++)
            Assert.That(parallel[i], Is.EqualTo(tok.EncodeToIds(texts[i])), texts[i]);
    }

    // Ids from HF tokenizers (Rust, via Tokenizers.DotNet 1.4.1) on the same tokenizer.json files.
    [TestCase("qwen3", "x 𝐀bc 𝟏2", new[] { 87, 81250, 238, 222, 8904, 220, 56252, 253, 237, 17 })]
    [TestCase("qwen3", "🤖abc 🤖 1𝟏𝟐3", new[] { 147238, 13683, 11162, 97, 244, 220, 16, 56252, 253, 237, 56252, 253, 238, 18 })]
    [TestCase("qwen3", "a\u00A0𝐀 b", new[] { 64, 4102, 146527, 293 })]
    [TestCase("opt", "x 𝐀bc 𝟏2", new[] { 2, 1178, 1437, 40756, 16948, 7471, 23219, 1437, 40756, 4333, 9357, 176 })]
    [TestCase("opt", "🤖abc 🤖 1𝟏𝟐3", new[] { 2, 6569, 10470, 25448, 36822, 8103, 10470, 25448, 112, 40756, 4333, 9357, 40756, 4333, 16948, 246 })]
    [TestCase("opt", "a\u00A0𝐀 b", new[] { 2, 102, 50141, 40756, 16948, 7471, 741 })]
    public void Letters_and_digits_outside_the_bmp_split_like_hf(string model, string text, int[] expected) =>
        Assert.That(TokenizerFixtures.Shared(model).EncodeToIds(text), Is.EqualTo(expected));

    [Test]
    public void Lone_surrogates_do_not_throw()
    {
        const string text = "\uD800x lone \uDC00";
        foreach (string model in TokenizerFixtures.HfModels)
            OffsetAssert.Partitions(TokenizerFixtures.Shared(model).Encode(text), text);
    }
}
