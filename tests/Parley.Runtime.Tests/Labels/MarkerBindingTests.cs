using Parley.Labels;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Labels;

public class MarkerBindingTests
{
    [Test]
    public void Phi3SpecialMarkersBind()
    {
        var phi3 = ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        var masker = MarkerBinding.Bind(phi3, response: "<|assistant|>", instruction: "<|user|>",
            context: "<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n");
        Assert.That(masker.Response.ToArray(), Is.EqualTo(new[] { 32001 }));
        Assert.That(masker.Instruction.ToArray(), Is.EqualTo(new[] { 32010 }));
    }

    [Test]
    public void SeedAssistantMarkerWithLlama2FailsWithBothFixes()
    {
        var llama2 = ParleyTokenizer.FromSentencePiece(Fixtures.Path("tokenizers", "llama-2", "tokenizer.model"));
        const string row = "### Human: Hello there.\n### Assistant: Hi.";
        var e = Assert.Throws<MarkerBindingException>(() => MarkerBinding.Resolve(llama2, "### Assistant:", row))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.AloneIds, Is.Not.EqualTo(e.InContextIds));
        Assert.That(e.Message, Does.Contain("in context").And.Contain("useInContextIds").And.Contain("AddSpecialTokens"));

        int[] ids = MarkerBinding.Resolve(llama2, "### Assistant:", row, useInContextIds: true);
        Assert.That(ids, Is.EqualTo(e.InContextIds));
        int[] encoded = llama2.Encode(row, addSpecialTokens: false).Ids;
        var labels = new int[encoded.Length];
        Assert.That(new MarkerMasker<int>(ids).Apply(encoded, labels), Is.EqualTo(MarkerOutcome.Masked));
        Assert.That(llama2.Decode(labels.Where(l => l != -100).ToArray()).Trim(), Is.EqualTo("Hi."));
        Assert.That(new MarkerMasker<int>(e.AloneIds).Apply(encoded, labels), Is.EqualTo(MarkerOutcome.NoResponseMarker));
    }

    [Test]
    public void MarkerMissingFromContext()
    {
        var phi3 = ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        Assert.Throws<ArgumentException>(() => MarkerBinding.Resolve(phi3, "<|assistant|>", "no marker here"));
    }
}
