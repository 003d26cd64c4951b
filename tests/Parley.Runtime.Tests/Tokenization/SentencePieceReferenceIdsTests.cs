using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>Exact ids against the SentencePiece library for Llama 2 and stories260K's tok512.</summary>
[TestFixture]
public class SentencePieceReferenceIdsTests
{
    private static readonly Lazy<ParleyTokenizer> Llama2 = new(() =>
        ParleyTokenizer.FromSentencePiece(Fixtures.Path("tokenizers", "llama-2", "tokenizer.model")));

    private static readonly Lazy<ParleyTokenizer> Tok512 = new(() =>
        ParleyTokenizer.FromSentencePiece(Fixtures.Path("models", "stories260K", "tok512.model")));

    public static readonly string[] Models = ["llama-2", "stories260K-tok512"];

    private static ParleyTokenizer Load(string model) => model == "llama-2" ? Llama2.Value : Tok512.Value;

    [TestCaseSource(nameof(Models))]
    public void Corpus_and_tricky_strings_match_sentencepiece(string model)
    {
        var reference = TokenizerFixtures.Reference("sentencepiece-ids.json");
        ParleyTokenizer tok = Load(model);
        var expected = reference.GetProperty("models").GetProperty(model);
        TokenizerFixtures.AssertAllEqual($"{model} corpus", TokenizerFixtures.Strings(reference.GetProperty("texts")),
            TokenizerFixtures.IdLists(expected.GetProperty("corpus")), t => tok.EncodeToIds(t, addSpecialTokens: false));
        TokenizerFixtures.AssertAllEqual($"{model} tricky", TokenizerFixtures.Strings(reference.GetProperty("tricky")),
            TokenizerFixtures.IdLists(expected.GetProperty("tricky")), t => tok.EncodeToIds(t, addSpecialTokens: false));
    }

    [TestCaseSource(nameof(Models))]
    public void Vocabulary_size_and_roles_come_from_the_model(string model)
    {
        var expected = TokenizerFixtures.Reference("sentencepiece-ids.json").GetProperty("models").GetProperty(model);
        ParleyTokenizer tok = Load(model);
        Assert.Multiple(() =>
        {
            Assert.That(tok.Count, Is.EqualTo(expected.GetProperty("vocab_size").GetInt32()));
            Assert.That(tok.GetRoleTokenId(SpecialTokenRole.Bos), Is.EqualTo(expected.GetProperty("bos").GetInt32()));
            Assert.That(tok.GetRoleTokenId(SpecialTokenRole.Eos), Is.EqualTo(expected.GetProperty("eos").GetInt32()));
            Assert.That(tok.GetRoleTokenId(SpecialTokenRole.Unk), Is.EqualTo(expected.GetProperty("unk").GetInt32()));
            Assert.That(tok.PadToken, Is.Null, "pad_id is -1 in both models");
        });
    }

    [Test]
    public void Encode_with_special_tokens_prepends_bos_like_llama_tokenizer()
    {
        ParleyTokenizer tok = Llama2.Value;
        Assert.That(tok.Encode("The birch canoe slid on the smooth planks.").Ids,
            Is.EqualTo(new[] { 1, 450, 29773, 305, 508, 7297, 2243, 333, 373, 278, 10597, 715, 1331, 29889 }));
    }

    [Test]
    public void Decode_round_trips_text_including_byte_fallback()
    {
        ParleyTokenizer tok = Tok512.Value;
        const string text = "Lily saw 日本 🤖 and tabs\there";
        int[] ids = tok.EncodeToIds(text);
        Assert.That(tok.Decode(ids, skipSpecialTokens: true), Is.EqualTo(text));
    }

    [Test]
    public void Tok512_strips_extra_whitespace_and_offsets_still_cover_the_text()
    {
        ParleyTokenizer tok = Tok512.Value;
        const string text = "  two  spaces ";
        TokenizedText t = tok.Encode(text, addSpecialTokens: false);
        Assert.That(t.Offsets[0].Start, Is.Zero);
        Assert.That(t.Offsets[^1].End, Is.EqualTo(text.Length));
        for (int i = 1; i < t.Count; i++) Assert.That(t.Offsets[i].Start, Is.EqualTo(t.Offsets[i - 1].End));
    }

    [Test]
    public void Phi3_tokenizer_model_matches_the_llama2_reference_it_shares()
    {
        // Phi-3's tokenizer.model holds Llama 2's 32,000 pieces.
        ParleyTokenizer phi = ParleyTokenizer.FromSentencePiece(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct", "tokenizer.model"));
        var reference = TokenizerFixtures.Reference("sentencepiece-ids.json");
        TokenizerFixtures.AssertAllEqual("phi-3 tokenizer.model corpus", TokenizerFixtures.Strings(reference.GetProperty("texts")),
            TokenizerFixtures.IdLists(reference.GetProperty("models").GetProperty("llama-2").GetProperty("corpus")),
            t => phi.EncodeToIds(t, addSpecialTokens: false));
    }
}
