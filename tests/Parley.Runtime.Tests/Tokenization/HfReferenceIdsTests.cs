using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>Exact ids against HF tokenizers (transformers.js) on the yoda corpus and the tricky strings.</summary>
[TestFixture]
public class HfReferenceIdsTests
{
    [TestCaseSource(typeof(TokenizerFixtures), nameof(TokenizerFixtures.HfModels))]
    public void Corpus_matches_hf_ids_without_special_tokens(string model)
    {
        var reference = TokenizerFixtures.Reference("tokenizer-ids.json");
        ParleyTokenizer tok = TokenizerFixtures.Shared(model);
        TokenizerFixtures.AssertAllEqual($"{model} corpus",
            TokenizerFixtures.Strings(reference.GetProperty("texts")),
            TokenizerFixtures.IdLists(reference.GetProperty("models").GetProperty(model).GetProperty("corpus")),
            t => tok.EncodeToIds(t, addSpecialTokens: false));
    }

    [TestCaseSource(typeof(TokenizerFixtures), nameof(TokenizerFixtures.HfModels))]
    public void Tricky_strings_match_hf_ids_without_special_tokens(string model)
    {
        var reference = TokenizerFixtures.Reference("tokenizer-ids.json");
        ParleyTokenizer tok = TokenizerFixtures.Shared(model);
        TokenizerFixtures.AssertAllEqual($"{model} tricky",
            TokenizerFixtures.Strings(reference.GetProperty("tricky")),
            TokenizerFixtures.IdLists(reference.GetProperty("models").GetProperty(model).GetProperty("tricky")),
            t => tok.EncodeToIds(t, addSpecialTokens: false));
    }

    [TestCaseSource(typeof(TokenizerFixtures), nameof(TokenizerFixtures.HfModels))]
    public void Tricky_strings_match_hf_default_encode_with_post_processor(string model)
    {
        var reference = TokenizerFixtures.Reference("tokenizer-ids.json");
        ParleyTokenizer tok = TokenizerFixtures.Shared(model);
        TokenizerFixtures.AssertAllEqual($"{model} tricky_default",
            TokenizerFixtures.Strings(reference.GetProperty("tricky")),
            TokenizerFixtures.IdLists(reference.GetProperty("models").GetProperty(model).GetProperty("tricky_default")),
            t => tok.Encode(t).Ids);
    }
}
