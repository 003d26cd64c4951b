using Parley.Labels;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Labels;

/// <summary>The seed's Phi-3 examples: masking by marker and by template ranges give the same trained text.</summary>
public class SeedPhi3LabelTests
{
    private const string Prompt = "<|user|>\nThe birch canoe slid on the smooth planks.<|end|>\n<|assistant|>\n";
    private const string Answer = "On the smooth planks, the birch canoe slid. Yes, hrrrm.";
    private const string Text = Prompt + Answer + "<|end|>\n<|endoftext|>";
    private const string Trained = "On the smooth planks, the birch canoe slid. Yes, hrrrm.<|end|><|endoftext|>";

    private static ParleyTokenizer Phi3() => ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));

    private static string DecodeTrained(ParleyTokenizer tokenizer, int[] labels) =>
        tokenizer.Decode(labels.Where(l => l != LabelIds.Ignore).ToArray());

    [Test]
    public void CompletionOnlyOnAssistantMarker()
    {
        var tokenizer = Phi3();
        int[] ids = tokenizer.Encode(Text, addSpecialTokens: false).Ids;
        Assert.That(ids, Does.Contain(32001));
        var labels = new int[ids.Length];
        Assert.That(new MarkerMasker<int>([32001]).Apply(ids, labels), Is.EqualTo(MarkerOutcome.Masked));
        Assert.That(DecodeTrained(tokenizer, labels), Is.EqualTo(Trained));
    }

    [Test]
    public void TemplateRangesGiveTheSameLabelsAsTheMarker()
    {
        var tokenizer = Phi3();
        var encoded = tokenizer.Encode(Text, addSpecialTokens: false);
        var labels = new int[encoded.Count];
        TemplateLabeler.Apply<int>(encoded.Ids, encoded.Offsets, [TextRange.FromBounds(Prompt.Length, Text.Length)], labels);
        Assert.That(DecodeTrained(tokenizer, labels), Is.EqualTo(Trained));

        var byMarker = new int[encoded.Count];
        new MarkerMasker<int>([32001]).Apply(encoded.Ids, byMarker);
        Assert.That(labels, Is.EqualTo(byMarker));
    }
}
