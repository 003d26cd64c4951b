using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>The seed's modify_tokenizer/modify_model rules, one test per branch.</summary>
[TestFixture]
public class TokenizerRulesTests
{
    [Test]
    public void Seed_opt_example_adds_im_start_and_yoda_marker_without_resize()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        Assert.That(opt.Count, Is.EqualTo(50265), "len(tokenizer) before");

        TokenizerSetupResult result = TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272 });
        Assert.Multiple(() =>
        {
            Assert.That(opt.BosToken, Is.EqualTo("<|im_start|>"));
            Assert.That(opt.TokenToId("<|im_start|>"), Is.EqualTo(50265));
            Assert.That(opt.Count, Is.EqualTo(50266));
            Assert.That(result.ResizeTo, Is.Null, "embedding stays 50272");
            Assert.That(result.PadToMultipleOf, Is.EqualTo(32));
            Assert.That(opt.PadToken, Is.EqualTo("<pad>"));
            Assert.That(opt.UnkToken, Is.Null, "UNK was EOS and is cleared");
        });

        Assert.That(opt.AddTokens("##[YODA]##>"), Is.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(opt.TokenToId("##[YODA]##>"), Is.EqualTo(50266));
            Assert.That(opt.EncodeToIds("##[YODA]##>", addSpecialTokens: false), Is.EqualTo(new[] { 50266 }));
            Assert.That(opt.EncodeToIds("Hello ##[YODA]##> world", addSpecialTokens: false), Is.EqualTo(new[] { 31414, 1437, 50266, 232 }));
            Assert.That(opt.Count, Is.EqualTo(50267));
        });
    }

    [Test]
    public void Decisions_explain_each_step_for_opt()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        TokenizerSetupResult result = TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272, Tokens = ["##[YODA]##>"] });
        Assert.That(result.Decisions, Is.EqualTo(new[]
        {
            "EOS is '</s>' (id 2); it only ends text.",
            "BOS was '</s>', the same as EOS, so a sequence start would read as an end: BOS is now '<|im_start|>' (id 50265, new).",
            "UNK was '</s>', the same as EOS: UNK is cleared, so it cannot be used as PAD (set AlternativeUnkToken to add one instead).",
            "PAD '<pad>' (id 1) differs from EOS: kept.",
            "Added token '##[YODA]##>' as id 50266; len(tokenizer) is now 50267.",
            "The tokenizer's 50267 tokens fit the embedding's 50272 rows: no resize.",
            "Padding side stays Right.",
        }));
    }

    [Test]
    public void Phi3_pad_equal_to_eos_falls_back_to_unk_and_bos_is_kept()
    {
        ParleyTokenizer phi = TokenizerFixtures.Fresh("phi-3");
        TokenizerSetupResult result = TokenizerRules.Apply(phi, new TokenizerSetupOptions { EmbeddingSize = 32064 });
        Assert.Multiple(() =>
        {
            Assert.That(phi.PadToken, Is.EqualTo("<unk>"));
            Assert.That(phi.GetRoleTokenId(SpecialTokenRole.Pad), Is.Zero);
            Assert.That(phi.BosToken, Is.EqualTo("<s>"));
            Assert.That(result.Decisions, Has.Some.StartsWith("BOS '<s>' (id 1) differs from EOS: kept."));
            Assert.That(result.Decisions, Has.Some.StartsWith("PAD was '<|endoftext|>', the same as EOS"));
            Assert.That(result.PaddingSide, Is.EqualTo(PaddingSide.Left), "tokenizer_config.json says left");
            Assert.That(result.TokenCount, Is.EqualTo(32011));
        });
    }

    [Test]
    public void Pad_equal_to_eos_without_unk_adds_a_new_pad_token()
    {
        ParleyTokenizer qwen = TokenizerFixtures.Fresh("qwen3");
        qwen.SetRoleToken(SpecialTokenRole.Pad, qwen.EosToken);
        TokenizerSetupResult result = TokenizerRules.Apply(qwen, new TokenizerSetupOptions { EmbeddingSize = 151936 });
        Assert.Multiple(() =>
        {
            Assert.That(qwen.PadToken, Is.EqualTo("<pad>"));
            Assert.That(qwen.TokenToId("<pad>"), Is.EqualTo(151669));
            Assert.That(result.Decisions, Has.Some.StartsWith("No BOS token"));
            Assert.That(result.Decisions, Has.Some.StartsWith("No UNK token"));
        });
    }

    [Test]
    public void Missing_pad_without_unk_adds_a_new_pad_token()
    {
        ParleyTokenizer qwen = TokenizerFixtures.Fresh("qwen3");
        qwen.SetRoleToken(SpecialTokenRole.Pad, null);
        TokenizerRules.Apply(qwen, new TokenizerSetupOptions { EmbeddingSize = 151936, NewPadToken = "<|pad|>" });
        Assert.That(qwen.GetRoleTokenId(SpecialTokenRole.Pad), Is.EqualTo(151669));
    }

    [Test]
    public void Unk_equal_to_eos_is_replaced_when_an_alternative_is_given()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        opt.SetRoleToken(SpecialTokenRole.Pad, null);
        TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272, AlternativeUnkToken = "<unk>" });
        Assert.Multiple(() =>
        {
            Assert.That(opt.TokenToId("<|im_start|>"), Is.EqualTo(50265));
            Assert.That(opt.UnkToken, Is.EqualTo("<unk>"));
            Assert.That(opt.TokenToId("<unk>"), Is.EqualTo(3), "GPT-2's vocabulary already holds <unk>");
            Assert.That(opt.IsSpecial(3), Is.True);
            Assert.That(opt.PadToken, Is.EqualTo("<unk>"), "PAD falls back to the new UNK");
        });
    }

    [Test]
    public void Growing_past_the_embedding_reports_the_resize_rounded_to_the_power_of_two()
    {
        ParleyTokenizer tok = ParleyTokenizer.FromSentencePiece(Fixtures.Path("models", "stories260K", "tok512.model"));
        TokenizerSetupResult result = TokenizerRules.Apply(tok, new TokenizerSetupOptions
        {
            EmbeddingSize = 512,
            SpecialTokens = ["<|user|>", "<|assistant|>"],
        });
        Assert.Multiple(() =>
        {
            Assert.That(tok.PadToken, Is.EqualTo("<unk>"), "pad_id is -1, UNK is usable");
            Assert.That(result.TokenCount, Is.EqualTo(514), "512 + 2 markers");
            Assert.That(tok.TokenToId("<|assistant|>"), Is.EqualTo(513));
            Assert.That(result.PadToMultipleOf, Is.EqualTo(512));
            Assert.That(result.ResizeTo, Is.EqualTo(1024));
            Assert.That(result.Decisions[^2], Is.EqualTo(
                "The tokenizer has 514 tokens but the embedding has 512 rows: resize it to 1024 (pad_to_multiple_of=512, the largest power of two dividing 512)."));
        });
    }

    [Test]
    public void Generation_pads_left()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        TokenizerSetupResult result = TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272, ForGeneration = true });
        Assert.Multiple(() =>
        {
            Assert.That(result.PaddingSide, Is.EqualTo(PaddingSide.Left));
            Assert.That(opt.PaddingSide, Is.EqualTo(PaddingSide.Left));
            Assert.That(result.Decisions[^1], Is.EqualTo("Padding side set to Left (was Right) because prompts are batched for generation."));
        });
    }

    [Test]
    public void Missing_eos_breaks_the_eos_rule()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        opt.SetRoleToken(SpecialTokenRole.Eos, null);
        var e = Assert.Throws<TokenizerRuleException>(() => TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272 }));
        Assert.That(e!.Rule, Is.EqualTo(TokenizerRules.EosOnlyEndsText));
        Assert.That(e.Message, Does.Contain("eos_token"));
    }

    [Test]
    public void Alternative_bos_equal_to_eos_breaks_the_bos_rule()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        var e = Assert.Throws<TokenizerRuleException>(() =>
            TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272, AlternativeBosToken = "</s>" }));
        Assert.That(e!.Rule, Is.EqualTo(TokenizerRules.BosDiffersFromEos));
    }

    [Test]
    public void Alternative_unk_equal_to_eos_breaks_the_unk_rule()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        var e = Assert.Throws<TokenizerRuleException>(() =>
            TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272, AlternativeUnkToken = "</s>" }));
        Assert.That(e!.Rule, Is.EqualTo(TokenizerRules.UnkDiffersFromEos));
    }

    [Test]
    public void New_pad_equal_to_eos_breaks_the_pad_rule()
    {
        ParleyTokenizer qwen = TokenizerFixtures.Fresh("qwen3");
        qwen.SetRoleToken(SpecialTokenRole.Pad, null);
        var e = Assert.Throws<TokenizerRuleException>(() =>
            TokenizerRules.Apply(qwen, new TokenizerSetupOptions { EmbeddingSize = 151936, NewPadToken = "<|im_end|>" }));
        Assert.That(e!.Rule, Is.EqualTo(TokenizerRules.PadDiffersFromEos));
    }

    [Test]
    public void Embedding_size_must_be_positive()
    {
        ParleyTokenizer opt = TokenizerFixtures.Shared("opt");
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 0 }));
    }

    [TestCase(50272, 32)]
    [TestCase(32000, 256)]
    [TestCase(32064, 64)]
    [TestCase(151936, 128)]
    [TestCase(512, 512)]
    [TestCase(50257, 1)]
    public void Largest_power_of_two_dividing_matches_get_multiple_of(int size, int multiple) =>
        Assert.That(TokenizerRules.LargestPowerOfTwoDividing(size), Is.EqualTo(multiple));
}
