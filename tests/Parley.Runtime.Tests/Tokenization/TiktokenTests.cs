using Microsoft.ML.Tokenizers;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>tiktoken encodings through Microsoft.ML.Tokenizers' data packages.</summary>
[TestFixture]
public class TiktokenTests
{
    private static readonly Lazy<ParleyTokenizer> Cl100k = new(() => ParleyTokenizer.FromTiktoken("cl100k_base"));
    private static readonly Lazy<ParleyTokenizer> Gpt2 = new(() => ParleyTokenizer.FromTiktoken("gpt2"));

    [Test]
    public void Cl100k_encodes_known_ids_and_parses_endoftext_by_default()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Cl100k.Value.EncodeToIds("hello world"), Is.EqualTo(new[] { 15339, 1917 }));
            Assert.That(Cl100k.Value.EncodeToIds("hello <|endoftext|> world"), Is.EqualTo(new[] { 15339, 220, 100257, 1917 }));
            Assert.That(Cl100k.Value.EncodeToIds("hello <|endoftext|> world", parseSpecialTokens: false), Does.Not.Contain(100257));
        });
    }

    [Test]
    public void Gpt2_matches_opt_byte_level_bpe_after_the_id_shift()
    {
        // OPT's vocabulary is GPT-2's with ids reordered, so token strings must agree.
        ParleyTokenizer opt = TokenizerFixtures.Shared("opt");
        const string text = "Hello there, General Kenobi! 123 café";
        int[] gpt2Ids = Gpt2.Value.EncodeToIds(text);
        int[] optIds = opt.EncodeToIds(text, addSpecialTokens: false);
        Assert.That(gpt2Ids.Select(id => Gpt2.Value.Decode([id])), Is.EqualTo(optIds.Select(id => opt.Decode([id]))));
        Assert.That(Gpt2.Value.Decode(gpt2Ids), Is.EqualTo(text));
        Assert.That(Gpt2.Value.EncodeToIds("Hello world"), Is.EqualTo(new[] { 15496, 995 }));
    }

    [Test]
    public void Cl100k_agrees_with_microsoft_ml_tokenizers_on_the_yoda_corpus()
    {
        string[] texts = TokenizerFixtures.Strings(TokenizerFixtures.Reference("tokenizer-ids.json").GetProperty("texts"));
        TiktokenTokenizer reference = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        TokenizerFixtures.AssertAllEqual("cl100k corpus", texts,
            texts.Select(t => reference.EncodeToIds(t).ToArray()).ToArray(), t => Cl100k.Value.EncodeToIds(t));
    }

    [Test]
    public void Offsets_partition_text_with_multibyte_chars()
    {
        const string text = "emoji 🤖👍🏽 and 日本語";
        TokenizedText t = Cl100k.Value.Encode(text);
        OffsetAssert.Partitions(t, text);
        Assert.That(Cl100k.Value.Decode(t.Ids), Is.EqualTo(text));
    }
}
