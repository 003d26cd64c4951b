using System.Text.Json;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization.Reference;

/// <summary>
/// Small tokenizer.json files (tests/reference/components/, written by make-components.mjs) for the HF components the
/// eleven real files don't use, against transformers.js; plus hand-checked cases for what transformers.js lacks
/// (WordLevel, CharDelimiterSplit, Unigram byte fallback, Precompiled). No cache needed: the files are in the repo.
/// </summary>
[TestFixture]
public class ComponentReferenceTests
{
    private static readonly Lazy<JsonDocument> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Reference("components", "expected.json"))));

    public static IEnumerable<string> Names() =>
        Directory.GetFiles(RepositoryFiles.Reference("components"), "*.json")
            .Select(Path.GetFileNameWithoutExtension).Where(n => n != "expected").Order(StringComparer.Ordinal)!;

    [TestCaseSource(nameof(Names))]
    public void Matches_transformers_js(string name)
    {
        ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(RepositoryFiles.Reference("components", name + ".json"));
        string[] texts = Expected.Value.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        JsonElement[] cases = Expected.Value.RootElement.GetProperty("expected").GetProperty(name).EnumerateArray().ToArray();
        var failures = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            int[] ids = cases[i].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            int[] withSpecial = cases[i].GetProperty("with_special").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            int[] got = tok.EncodeToIds(texts[i], addSpecialTokens: false);
            if (!got.SequenceEqual(ids)) failures.Add($"{JsonSerializer.Serialize(texts[i])}: got [{string.Join(", ", got)}], expected [{string.Join(", ", ids)}]");
            int[] gotSpecial = tok.Encode(texts[i]).Ids;
            if (!gotSpecial.SequenceEqual(withSpecial)) failures.Add($"{JsonSerializer.Serialize(texts[i])} with special tokens: got [{string.Join(", ", gotSpecial)}], expected [{string.Join(", ", withSpecial)}]");
            string decoded = cases[i].GetProperty("decoded").GetString()!;
            if (ids.Length > 0 && tok.Decode(ids) != decoded) failures.Add($"decode {JsonSerializer.Serialize(texts[i])}: got {JsonSerializer.Serialize(tok.Decode(ids))}, expected {JsonSerializer.Serialize(decoded)}");
            OffsetAssert.Partitions(tok.Encode(texts[i]), texts[i]);
        }
        Assert.That(failures, Is.Empty, $"{name}: {failures.Count} differ:\n" + string.Join("\n", failures.Take(8)));
    }

    [Test]
    public void WordLevel_with_CharDelimiterSplit_looks_each_piece_up_or_gives_unk()
    {
        const string json = """
            {"model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "big world": 3}},
             "normalizer": {"type": "Lowercase"},
             "pre_tokenizer": {"type": "CharDelimiterSplit", "delimiter": "-"}}
            """;
        ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.That(tok.EncodeToIds("Hello-WORLD--big world-nope", addSpecialTokens: false), Is.EqualTo(new[] { 1, 2, 3, 0 }));
        TokenizedText t = tok.Encode("Hello-WORLD");
        Assert.That(t.Ids, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(t.Offsets.Select(o => o.Start), Is.EqualTo(new[] { 0, 6 }));
    }

    [Test]
    public void Unigram_byte_fallback_spells_an_unknown_run_in_bytes_and_fuses_unknowns_otherwise()
    {
        // Unknown chars score min_score - 10 = -15. "é" (C3 A9) has both byte pieces, so it is spelled in bytes; "ßß"
        // (C3 9F C3 9F) is one fused unknown run, and with no <0x9F> it stays <unk>.
        const string json = """
            {"model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true,
              "vocab": [["<unk>", 0], ["a", -1], ["b", -1], ["ab", -1.5], ["<0xC3>", -5], ["<0xA9>", -5]]}}
            """;
        ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.That(tok.EncodeToIds("abé", addSpecialTokens: false), Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(tok.EncodeToIds("aßßb", addSpecialTokens: false), Is.EqualTo(new[] { 1, 0, 2 }));
        Assert.That(tok.EncodeToIds("aab", addSpecialTokens: false), Is.EqualTo(new[] { 1, 3 }), "a + ab (-2.5) beats a + a + b (-3)");
    }
}

/// <summary>HF <c>Split</c> behaviors on the example of HF's own documentation ("the-final--countdown" split on "-").</summary>
[TestFixture]
public class SplitBehaviorTests
{
    [TestCase("Removed", false, "the|final|countdown")]
    [TestCase("Isolated", false, "the|-|final|-|-|countdown")]
    [TestCase("MergedWithPrevious", false, "the-|final-|-|countdown")]
    [TestCase("MergedWithNext", false, "the|-final|-|-countdown")]
    [TestCase("Contiguous", false, "the|-|final|--|countdown")]
    [TestCase("Removed", true, "-|-|-")]
    [TestCase("Isolated", true, "the|-|final|-|-|countdown")]
    [TestCase("MergedWithPrevious", true, "the|-final|-|-countdown")]
    public void Splits_like_hf(string behavior, bool invert, string expected) => Assert.That(
        Pieces(new RegexPreTokenizer([SplitRule.Create("-", Enum.Parse<SplitBehavior>(behavior), invert)]), "the-final--countdown"),
        Is.EqualTo(expected));

    [Test]
    public void Astral_letters_count_as_letters_and_keep_their_category()
    {
        var letters = new RegexPreTokenizer([SplitRule.Create(@"\p{L}+", SplitBehavior.Removed, invert: true)]);
        Assert.That(Pieces(letters, "ab 𝔘𝔫 😀 c"), Is.EqualTo("ab|𝔘𝔫|c"));
        var digits = new RegexPreTokenizer([SplitRule.Create(@"\p{N}", SplitBehavior.Contiguous)]);
        Assert.That(Pieces(digits, "x𝟏𝟐y3"), Is.EqualTo("x|𝟏𝟐|y|3"));
    }

    [Test]
    public void Bpe_with_subword_prefix_and_word_suffix_merges_like_hf()
    {
        ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(RepositoryFiles.Reference("components-hand", "bpe-affixes.json"));
        string[] Tokens(string text) => tok.EncodeToIds(text, addSpecialTokens: false).Select(id => tok.IdToToken(id)!).ToArray();
        Assert.That(Tokens("Hello world dog"), Is.EqualTo(new[] { "hello</w>", "world</w>", "d", "##og</w>" }));
        Assert.That(Tokens("he!"), Is.EqualTo(new[] { "h", "##e</w>", "<unk>" }));
        Assert.That(tok.Decode(tok.EncodeToIds("hello world", addSpecialTokens: false)), Is.EqualTo("hello world"));
    }

    private static string Pieces(RegexPreTokenizer splitter, string text)
    {
        var pieces = new List<(int Start, int Length)>();
        splitter.Split(text, pieces);
        return string.Join("|", pieces.Select(p => text.Substring(p.Start, p.Length)));
    }
}
