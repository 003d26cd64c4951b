using System.Text;
using System.Text.Json.Nodes;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>
/// HF's <c>Metaspace</c> pre-tokenizer (non-legacy Llama-family tokenizer.json), checked on Phi-3's vocabulary
/// rewritten to use it: on text without special tokens or a leading space it must give Phi-3's reference ids.
/// </summary>
[TestFixture]
public class MetaspaceTests
{
    private static readonly Lazy<string> Phi3Json = new(() =>
        File.ReadAllText(Path.Combine(TokenizerFixtures.TokenizerFolder("phi-3"), "tokenizer.json")));

    private static ParleyTokenizer Variant(string scheme, bool split)
    {
        JsonNode root = JsonNode.Parse(Phi3Json.Value)!;
        root["normalizer"] = null;
        root["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = scheme, ["split"] = split,
        };
        root["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = new JsonArray(
            new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = scheme, ["split"] = split },
            new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" }) };
        return ParleyTokenizer.FromTokenizerJson(new MemoryStream(Encoding.UTF8.GetBytes(root.ToJsonString())), sourceName: $"phi-3 metaspace {scheme}");
    }

    [TestCase("first", false)]
    [TestCase("always", false)]
    public void Plain_corpus_matches_phi3_reference_ids(string scheme, bool split)
    {
        ParleyTokenizer tok = Variant(scheme, split);
        var reference = TokenizerFixtures.Reference("tokenizer-ids.json");
        string[] texts = TokenizerFixtures.Strings(reference.GetProperty("texts"));
        Assume.That(texts.All(t => !t.StartsWith(' ')), "corpus texts start with a non-space");
        TokenizerFixtures.AssertAllEqual($"metaspace {scheme} corpus", texts,
            TokenizerFixtures.IdLists(reference.GetProperty("models").GetProperty("phi-3").GetProperty("corpus")),
            t => tok.EncodeToIds(t, addSpecialTokens: false));
    }

    [Test]
    public void Leading_space_is_not_doubled_and_first_scheme_skips_text_after_a_special_token()
    {
        ParleyTokenizer first = Variant("first", split: false);
        ParleyTokenizer always = Variant("always", split: false);
        int hello = first.TokenToId("\u2581Hello")!.Value;
        int plainHi = first.TokenToId("Hi")!.Value;
        int wordHi = first.TokenToId("\u2581Hi")!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(first.EncodeToIds(" Hello", addSpecialTokens: false), Is.EqualTo(new[] { hello }));
            Assert.That(first.EncodeToIds("<|user|>Hi", addSpecialTokens: false), Is.EqualTo(new[] { 32010, plainHi }));
            Assert.That(always.EncodeToIds("<|user|>Hi", addSpecialTokens: false), Is.EqualTo(new[] { 32010, wordHi }));
            Assert.That(first.Decode(first.EncodeToIds("Hello world", addSpecialTokens: false)), Is.EqualTo("Hello world"));
        });
    }

    [Test]
    public void Split_cuts_before_every_replacement_and_keeps_offsets_tiled()
    {
        ParleyTokenizer tok = Variant("always", split: true);
        const string text = "a  b";
        TokenizedText t = tok.Encode(text, addSpecialTokens: false);
        // "▁a▁▁b" → "▁a" | "▁" | "▁b"
        Assert.That(t.Ids, Is.EqualTo(new[] { tok.TokenToId("\u2581a")!.Value, tok.TokenToId("\u2581")!.Value, tok.TokenToId("\u2581b")!.Value }));
        OffsetAssert.Partitions(t, text);
    }
}
