using Parley.Buffers;
using Parley.Collation;
using Parley.Labels;
using Parley.Runtime.Tests.Collation;
using static Parley.Runtime.Tests.Collation.ReferenceCases;

namespace Parley.Runtime.Tests.Labels;

public class ReferenceCompletionOnlyTests
{
    private static IEnumerable<string> Cases() => Names("completion_only");

    [TestCaseSource(nameof(Cases))]
    public void CompletionOnly(string name)
    {
        var c = Get("completion_only", name);
        var ids = Ragged<int>.FromRows(Rows(c.GetProperty("input_ids")));
        int[] response = c.GetProperty("response_template_ids").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        int[] instruction = TryGet(c, "instruction_template_ids", out var i) ? i.EnumerateArray().Select(v => v.GetInt32()).ToArray() : [];
        var masker = new MarkerMasker<int>(response, instruction);
        var labels = new int[ids.Values.Length];
        var report = new MarkerReport();
        masker.Apply(ids.AsSpan(), labels, report);
        AssertMatchesReference(c, ids, labels, report);
        Assert.That(report.Rows, Is.EqualTo(ids.Count));
    }

    /// <summary>Collates the rows with their <paramref name="labels"/> as the case says and compares with its expected output and report.</summary>
    internal static void AssertMatchesReference(System.Text.Json.JsonElement c, Ragged<int> ids, int[] labels, MarkerReport report)
    {
        var labelled = new Ragged<int>(labels, ids.Offsets.ToArray());
        var expect = c.GetProperty("expect");

        using var batch = new Batch();
        if (TryGet(c, "padding_free", out var pf) && pf.GetBoolean())
        {
            new FlatteningCollator(new FlatteningOptions()).Collate(ids.AsSpan(), labelled.AsSpan(), batch);
            ReferencePaddingTests.AssertFlattened(batch, expect);
        }
        else
        {
            new PaddingCollator(new PaddingOptions()).Collate(ids.AsSpan(), labelled.AsSpan(), batch);
            Assert.That(batch.Labels.ToArray(), Is.EqualTo(Flat(expect.GetProperty("labels"))));
        }
        long missing = TryGet(expect, "rows_without_marker", out var rw) ? rw.GetInt64() : 0;
        Assert.That(report.RowsWithoutMarker, Is.EqualTo(missing));
    }
}
