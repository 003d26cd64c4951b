using Parley.Buffers;
using CsCheck;
using Parley.Collation;
using Parley.Labels;
using Parley.Runtime.Tests.Collation;
using Parley.Templates;
using Parley.Tokenization;
using static Parley.Runtime.Tests.Collation.ReferenceCases;

namespace Parley.Runtime.Tests.Labels;

// Templates whose markers declare ids, so the generator emits their MarkerMask classes.

/// <summary>The seed's "### Human:"/"### Assistant:" format with the Llama-2 ids that end every occurrence of each marker.</summary>
[ChatTemplate(Bos = "<s>", Eos = "</s>")]
[Turn("user", Prefix = "### Human: ", Suffix = "\n")]
[Turn("assistant", Prefix = "### Assistant: ", Suffix = "{eos}\n", Train = true)]
[InstructionMarker("### Human:", TokenIds = [12968, 29901]), ResponseMarker("### Assistant:", TokenIds = [4007, 22137, 29901])]
public static partial class HumanAssistantLlama2;

/// <summary>The same format declaring the ids "### Assistant:" gets alone, which miss it after a newline.</summary>
[ChatTemplate(Bos = "<s>", Eos = "</s>")]
[Turn("user", Prefix = "### Human: ", Suffix = "\n")]
[Turn("assistant", Prefix = "### Assistant: ", Suffix = "{eos}\n", Train = true)]
[ResponseMarker("### Assistant:", TokenIds = [835, 4007, 22137, 29901])]
public static partial class HumanAssistantAloneIds;

[ChatTemplate(Eos = "<eos>")]
[Turn("user", Prefix = "<user>")]
[Turn("assistant", Prefix = "<response>", Suffix = "{eos}", Train = true)]
[ResponseMarker("<response>", TokenIds = [9999])]
public static partial class Response9999;

[ChatTemplate(Eos = "<eos>")]
[Turn("user", Prefix = "<user>")]
[Turn("assistant", Prefix = "<response>", Suffix = "{eos}", Train = true)]
[ResponseMarker("<response>", TokenIds = [50])]
public static partial class Response50;

[ChatTemplate(Eos = "<|endoftext|>")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[ConversationEnd("{eos}")]
[ResponseMarker("<|assistant|>", TokenIds = [32001])]
public static partial class Phi3ResponseOnly;

/// <summary>The generated <c>MarkerMask</c> classes: same labels as the run-time <see cref="MarkerMasker{T}"/> and as TRL.</summary>
public class GeneratedMarkerMaskTests
{
    private static IEnumerable<string> Cases() => Names("completion_only");

    // The reference cases' marker ids, each served by a template declaring them.
    private static IMarkerMasker<int> GeneratedFor(int[] response, int[] instruction) => (response, instruction) switch
    {
        ([9999], []) => Response9999.MarkerMask.Instance,
        ([50], []) => Response50.MarkerMask.Instance,
        ([32001], []) => Phi3ResponseOnly.MarkerMask.Instance,
        ([32001], [32010]) => Phi3.MarkerMask.Instance,
        _ => throw new AssertionException($"no template declares response [{string.Join(", ", response)}] / instruction [{string.Join(", ", instruction)}]"),
    };

    [TestCaseSource(nameof(Cases))]
    public void ReferenceCase(string name)
    {
        var c = Get("completion_only", name);
        var ids = Ragged<int>.FromRows(Rows(c.GetProperty("input_ids")));
        int[] response = c.GetProperty("response_template_ids").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        int[] instruction = TryGet(c, "instruction_template_ids", out var i) ? i.EnumerateArray().Select(v => v.GetInt32()).ToArray() : [];
        IMarkerMasker<int> masker = GeneratedFor(response, instruction);

        var labels = new int[ids.Values.Length];
        var report = new MarkerReport();
        for (int r = 0; r < ids.Count; r++)
        {
            report.Record(masker.Apply(ids.AsSpan()[r], labels.AsSpan(ids.Offsets[r], ids.AsSpan().LengthOf(r))));
        }

        ReferenceCompletionOnlyTests.AssertMatchesReference(c, ids, labels, report);
    }

    // Whole markers, their fragments and overlaps, and single ids, concatenated, so partial and overlapping matches are frequent.
    private static readonly int[][] Llama2Pieces =
        [[4007, 22137, 29901], [12968, 29901], [4007, 22137], [22137, 29901], [4007, 4007, 22137, 29901], [12968, 12968, 29901], [2277, 29937], [1], [835], [29901]];
    private static readonly Gen<int[]> Llama2Rows = Gen.Int[0, Llama2Pieces.Length - 1].Array[0, 14].Select(picks => picks.SelectMany(k => Llama2Pieces[k]).ToArray());
    private static readonly Gen<int[]> Phi3Rows = Gen.Int[0, 4].Select(k => new[] { 32001, 32010, 32007, 1, 2 }[k]).Array[0, 30];

    [Test]
    public void MultiTokenMarkers_AgreeWithRuntimeMasker()
    {
        var runtime = new MarkerMasker<int>([4007, 22137, 29901], [12968, 29901]);
        var runtimeLong = new MarkerMasker<long>([4007, 22137, 29901], [12968, 29901]);
        var outcomes = new MarkerReport();
        Property.ForAll(Llama2Rows, row =>
        {
            var expected = new int[row.Length];
            var actual = new int[row.Length];
            MarkerOutcome outcome = HumanAssistantLlama2.MarkerMask.Instance.Apply(row, actual);
            outcomes.Record(outcome);
            Assert.That(outcome, Is.EqualTo(runtime.Apply(row, expected)));
            Assert.That(actual, Is.EqualTo(expected));

            long[] wide = [.. row.Select(v => (long)v)];
            var expectedLong = new long[row.Length];
            var actualLong = new long[row.Length];
            Assert.That(HumanAssistantLlama2.MarkerMask.Instance.Apply(wide, actualLong), Is.EqualTo(runtimeLong.Apply(wide, expectedLong)));
            Assert.That(actualLong, Is.EqualTo(expectedLong));
        }, iterations: 2000);
        Assert.That(outcomes.Rows - outcomes.RowsWithoutMarker, Is.GreaterThan(100), "enough rows hold both markers for the property to bite");
    }

    [Test]
    public void SingleTokenMarkers_AgreeWithRuntimeMasker()
    {
        var turns = new MarkerMasker<int>([32001], [32010]);
        var last = new MarkerMasker<int>([32001]);
        Property.ForAll(Phi3Rows, row =>
        {
            var expected = new int[row.Length];
            var actual = new int[row.Length];
            Assert.That(Phi3.MarkerMask.Instance.Apply(row, actual), Is.EqualTo(turns.Apply(row, expected)));
            Assert.That(actual, Is.EqualTo(expected));
            Assert.That(Phi3ResponseOnly.MarkerMask.Instance.Apply(row, actual), Is.EqualTo(last.Apply(row, expected)));
            Assert.That(actual, Is.EqualTo(expected));
        }, iterations: 2000);
    }

    [Test]
    public void DeclaredIdsAreInTheInfoAndOnTheMask()
    {
        Assert.That(Phi3.Info.ResponseMarkerIds, Is.EqualTo(new[] { 32001 }));
        Assert.That(Phi3.Info.InstructionMarkerIds, Is.EqualTo(new[] { 32010 }));
        Assert.That(HumanAssistantLlama2.MarkerMask.ResponseIds.ToArray(), Is.EqualTo(new[] { 4007, 22137, 29901 }));
        Assert.That(Phi3ResponseOnly.MarkerMask.InstructionIds.ToArray(), Is.Empty);
        Assert.That(ChatML.Info.ResponseMarkerIds, Is.Empty, "ChatML's ids depend on the tokenizer, so it declares none");
    }

    [Test]
    public void SeedPhi3Example_TrainsTheAnswerAndItsEnd()
    {
        var tokenizer = ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        string text = Phi3.Format([ChatMessage.User("The birch canoe slid on the smooth planks."), ChatMessage.Assistant("On the smooth planks, the birch canoe slid. Yes, hrrrm.")]);
        int[] ids = tokenizer.Encode(text, addSpecialTokens: false).Ids;
        var labels = new int[ids.Length];
        Assert.That(Phi3.MarkerMask.Instance.Apply(ids, labels), Is.EqualTo(MarkerOutcome.Masked));
        Assert.That(tokenizer.Decode(labels.Where(l => l != LabelIds.Ignore).ToArray()),
            Is.EqualTo("On the smooth planks, the birch canoe slid. Yes, hrrrm.<|end|><|endoftext|>"));
    }

    [Test]
    public void CompletionOnlyCollator_TakesTheGeneratedMask()
    {
        int[][] rows = [[32010, 5, 6, 32001, 7, 8, 32007], [32010, 9, 32001, 10, 32010, 11, 32001, 12, 32007], [1, 2, 3]];
        var ids = Ragged<int>.FromRows(rows);
        using var generated = new Batch();
        using var runtime = new Batch();
        var generatedReport = new MarkerReport();
        var runtimeReport = new MarkerReport();
        var padding = new PaddingCollator(new PaddingOptions { PadTokenId = 32000 });
        new CompletionOnlyCollator(padding, Phi3.MarkerMask.Instance).Collate(ids.AsSpan(), generated, generatedReport);
        new CompletionOnlyCollator(padding, new MarkerMasker<long>([32001], [32010])).Collate(ids.AsSpan(), runtime, runtimeReport);

        Assert.That(generated.LabelsRow(0).ToArray(), Is.EqualTo(new long[] { -100, -100, -100, -100, 7, 8, 32007, -100, -100 }));
        Assert.That(generated.LabelsRow(1).ToArray(), Is.EqualTo(new long[] { -100, -100, -100, 10, -100, -100, -100, 12, 32007 }));
        Assert.That(generated.Labels.ToArray(), Is.EqualTo(runtime.Labels.ToArray()));
        Assert.That((generatedReport.Rows, generatedReport.RowsWithoutResponse), Is.EqualTo((3L, 1L)));
    }

    [Test]
    public void Verify_AcceptsIdsThatEndEveryOccurrence()
    {
        var phi3 = ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        Assert.DoesNotThrow(() => MarkerBinding.Verify(phi3, Phi3.Instance));
        var llama2 = ParleyTokenizer.FromSentencePiece(Fixtures.Path("tokenizers", "llama-2", "tokenizer.model"));
        Assert.DoesNotThrow(() => MarkerBinding.Verify(llama2, HumanAssistantLlama2.Instance));
    }

    [Test]
    public void Verify_RejectsAloneIdsWithTheFixes()
    {
        var llama2 = ParleyTokenizer.FromSentencePiece(Fixtures.Path("tokenizers", "llama-2", "tokenizer.model"));
        var e = Assert.Throws<MarkerBindingException>(() => MarkerBinding.Verify(llama2, HumanAssistantAloneIds.Instance))!;
        Assert.That(e.AloneIds, Is.EqualTo(new[] { 835, 4007, 22137, 29901 }));
        Assert.That(e.InContextIds, Is.EqualTo(new[] { 2277, 29937, 4007, 22137, 29901 }), "after a newline \"###\" is two tokens");
        Assert.That(e.Message, Does.StartWith("Template 'HumanAssistantAloneIds' declares the ids [835, 4007, 22137, 29901] for the marker '### Assistant:'")
            .And.Contain("(1) declare ids that end every occurrence").And.Contain("AddSpecialTokens(\"### Assistant:\")"));
    }

    [Test]
    public void Verify_NeedsDeclaredIds()
    {
        var phi3 = ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        var e = Assert.Throws<ArgumentException>(() => MarkerBinding.Verify(phi3, ChatML.Instance))!;
        Assert.That(e.Message, Does.StartWith("Template 'ChatML' declares no response marker ids"));
    }
}
