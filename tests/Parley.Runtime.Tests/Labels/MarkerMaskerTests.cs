using Parley.Buffers;
using Parley.Collation;
using Parley.Labels;
using Parley.Runtime.Tests.Collation;
using CsCheck;

namespace Parley.Runtime.Tests.Labels;

public class MarkerMaskerTests
{
    [Test]
    public void MultiTokenMarkerWithoutInstruction()
    {
        var masker = new MarkerMasker<long>([835, 4007, 29901]); // "### Answer:"-like ids
        long[] ids = [1, 835, 4007, 29901, 5, 835, 4007, 6, 7];
        var labels = new long[ids.Length];
        Assert.That(masker.Apply(ids, labels), Is.EqualTo(MarkerOutcome.Masked));
        Assert.That(labels, Is.EqualTo(new long[] { -100, -100, -100, -100, 5, 835, 4007, 6, 7 }));
    }

    [Test]
    public void RowStartingWithAResponseIsMaskedUpToItsEnd()
    {
        var masker = new MarkerMasker<int>([50], [40]);
        var labels = new int[8];
        masker.Apply([50, 1, 2, 40, 3, 50, 4, 5], labels);
        Assert.That(labels, Is.EqualTo(new[] { -100, 1, 2, -100, -100, -100, 4, 5 }));
    }

    [Test]
    public void TrailingInstructionWithoutAnswerIsMasked()
    {
        var masker = new MarkerMasker<int>([50], [40]);
        var labels = new int[7];
        masker.Apply([40, 1, 50, 2, 40, 3, 4], labels);
        Assert.That(labels, Is.EqualTo(new[] { -100, -100, -100, 2, -100, -100, -100 }));
    }

    [Test]
    public void MissingInstructionMarkerIsReportedSeparately()
    {
        var masker = new MarkerMasker<int>([50], [40]);
        var report = new MarkerReport();
        var ids = Ragged<int>.FromRows([[1, 50, 2], [40, 50, 3], [1, 2]]);
        var labels = new int[ids.Values.Length];
        masker.Apply(ids.AsSpan(), labels, report);
        Assert.That(labels, Is.EqualTo(new[] { -100, -100, -100, -100, -100, 3, -100, -100 }));
        Assert.That((report.Rows, report.RowsWithoutInstruction, report.RowsWithoutResponse, report.FirstRowWithoutMarker), Is.EqualTo((3L, 1L, 1L, 0L)));
        Assert.That(report.ToString(), Does.Contain("2 of 3 rows train nothing"));
    }

    [Test]
    public void EmptyResponseMarkerIsRejected() =>
        Assert.Throws<ArgumentException>(() => new MarkerMasker<int>([]));

    [Test]
    public void MaskingAllocatesNothing()
    {
        var masker = new MarkerMasker<int>([7, 8], [5]);
        int[] ids = [5, 1, 7, 8, 2, 5, 3, 7, 8, 4];
        var labels = new int[ids.Length];
        masker.Apply(ids, labels);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) masker.Apply(ids, labels);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void LabelsEqualANaiveTrlTranscription()
    {
        var gen = Gen.Select(Gen.Int[0, 4].Array[0, 30], Gen.Int[0, 4].Array[1, 2], Gen.Int[0, 4].Array[0, 2]);
        Property.ForAll(gen, t =>
        {
            var (ids, response, instruction) = t;
            var labels = new int[ids.Length];
            new MarkerMasker<int>(response, instruction).Apply(ids, labels);
            Assert.That(labels, Is.EqualTo(Naive(ids, response, instruction)));
            for (int i = 0; i < ids.Length; i++) Assert.That(labels[i] == -100 || labels[i] == ids[i]);
        }, iterations: 2000);
    }

    // A direct, list-based transcription of DataCollatorForCompletionOnlyLM.torch_call (TRL 0.19), for comparison.
    private static int[] Naive(int[] ids, int[] response, int[] instruction)
    {
        var labels = (int[])ids.Clone();
        List<int> Starts(int[] marker) => Enumerable.Range(0, ids.Length).Where(i => i + marker.Length <= ids.Length && ids.AsSpan(i, marker.Length).SequenceEqual(marker)).ToList();
        if (instruction.Length == 0)
        {
            var starts = Starts(response);
            if (starts.Count == 0) Array.Fill(labels, -100);
            else Array.Fill(labels, -100, 0, starts[^1] + response.Length);
            return labels;
        }
        var r = Starts(response).Select(s => s + response.Length).ToList();
        if (r.Count == 0) Array.Fill(labels, -100);
        var h = Starts(instruction);
        if (h.Count == 0) Array.Fill(labels, -100);
        if (h.Count > 0 && r.Count > 0 && h[0] > r[0]) h.Insert(0, 0);
        for (int k = 0; k < Math.Min(h.Count, r.Count); k++)
        {
            int start = k == 0 ? 0 : h[k];
            for (int i = start; i < r[k]; i++) labels[i] = -100;
        }
        if (r.Count < h.Count) for (int i = h[^1]; i < ids.Length; i++) labels[i] = -100;
        return labels;
    }
}
