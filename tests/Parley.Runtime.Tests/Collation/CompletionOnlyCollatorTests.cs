using Parley.Buffers;
using Parley.Collation;
using Parley.Labels;

namespace Parley.Runtime.Tests.Collation;

public class CompletionOnlyCollatorTests
{
    private static readonly Ragged<int> Ids = Ragged<int>.FromRows([[1, 2, 3, 9999, 4, 5], [6, 9999, 10], [7, 8]]);

    [Test]
    public void PaddedLeftAndRight()
    {
        using var batch = new Batch();
        var report = new MarkerReport();
        new CompletionOnlyCollator(new PaddingCollator(new PaddingOptions { PadTokenId = 0, Side = PaddingSide.Left }), new MarkerMasker<long>([9999]))
            .Collate(Ids.AsSpan(), batch, report);
        Assert.That(batch.Labels.ToArray(), Is.EqualTo(new long[]
        {
            -100, -100, -100, -100, 4, 5,
            -100, -100, -100, -100, -100, 10,
            -100, -100, -100, -100, -100, -100,
        }));
        Assert.That((report.Rows, report.RowsWithoutResponse), Is.EqualTo((3L, 1L)));
    }

    [Test]
    public void PaddingFreeMatchesTheReferenceCase()
    {
        using var batch = new Batch();
        var report = new MarkerReport();
        new CompletionOnlyCollator(new FlatteningCollator(new FlatteningOptions()), new MarkerMasker<long>([9999]))
            .Collate(Ragged<int>.FromRows([[1, 2, 3, 9999, 4, 5], [6, 7, 8, 9, 9999, 10, 11]]).AsSpan(), batch, report);
        Assert.That(batch.Labels.ToArray(), Is.EqualTo(new long[] { -100, -100, -100, -100, 4, 5, -100, -100, -100, -100, -100, 10, 11 }));
        Assert.That(batch.CuSeqLens.ToArray(), Is.EqualTo(new long[] { 0, 6, 13 }));
        Assert.That(report.RowsWithoutMarker, Is.Zero);
    }

    [Test]
    public void TruncatedRowsAreMaskedOverTheirKeptTokens()
    {
        using var batch = new Batch();
        var report = new MarkerReport();
        new CompletionOnlyCollator(new PaddingCollator(new PaddingOptions { MaxLength = 5, PadToMultipleOf = 4, Side = PaddingSide.Left }), new MarkerMasker<long>([9999]))
            .Collate(Ids.AsSpan(), batch, report);
        Assert.That(batch.LabelsRow(0).ToArray(), Is.EqualTo(new long[] { -100, -100, -100, -100, -100, -100, -100, 4 }));
    }

    [Test]
    public void SteadyStateAllocatesNothing()
    {
        using var batch = new Batch();
        var report = new MarkerReport();
        var collator = new CompletionOnlyCollator(new PaddingCollator(new PaddingOptions()), new MarkerMasker<long>([9999], [1]));
        collator.Collate(Ids.AsSpan(), batch, report);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) collator.Collate(Ids.AsSpan(), batch, report);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
