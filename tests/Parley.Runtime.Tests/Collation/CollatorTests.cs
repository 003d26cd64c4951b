using Parley.Buffers;
using Parley.Training;
using Parley.Collation;
using Parley.Labels;

namespace Parley.Runtime.Tests.Collation;

public class CollatorTests
{
    private static Ragged<int> Rows(params int[][] rows) => Ragged<int>.FromRows(rows);

    [Test]
    public void MaxLengthTruncatesAndPadToMaxLengthFixesTheWidth()
    {
        using var batch = new Batch();
        new PaddingCollator(new PaddingOptions { PadTokenId = 9, MaxLength = 3 }).Collate(Rows([1, 2, 3, 4], [5]).AsSpan(), batch);
        Assert.That(batch.InputIds.ToArray(), Is.EqualTo(new long[] { 1, 2, 3, 5, 9, 9 }));
        Assert.That(batch.Labels.ToArray(), Is.EqualTo(new long[] { 1, 2, 3, 5, -100, -100 }));

        new PaddingCollator(new PaddingOptions { PadTokenId = 9, MaxLength = 5, PadToMaxLength = true, PadToMultipleOf = 4, Side = PaddingSide.Left })
            .Collate(Rows([1, 2], [3]).AsSpan(), batch);
        Assert.That((batch.Rows, batch.Columns), Is.EqualTo((2, 8)));
        Assert.That(batch.InputIdsRow(0).ToArray(), Is.EqualTo(new long[] { 9, 9, 9, 9, 9, 9, 1, 2 }));
        Assert.That(batch.AttentionMaskRow(1).ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 0, 0, 0, 0, 1 }));
    }

    [Test]
    public void LongIdsAndEmptyRows()
    {
        using var batch = new Batch();
        var ids = Ragged<long>.FromRows([[long.MaxValue, 2], []]);
        new PaddingCollator(new PaddingOptions { PadTokenId = 0 }).Collate(ids.AsSpan(), batch);
        Assert.That(batch.InputIds.ToArray(), Is.EqualTo(new long[] { long.MaxValue, 2, 0, 0 }));
        Assert.That(batch.Labels.ToArray(), Is.EqualTo(new long[] { long.MaxValue, 2, -100, -100 }));
    }

    [Test]
    public void WideningCopyHandlesVectorAndTailLengths()
    {
        using var batch = new Batch();
        var row = Enumerable.Range(-20, 37).ToArray();
        new PaddingCollator(new PaddingOptions()).Collate(Rows(row).AsSpan(), batch);
        Assert.That(batch.InputIds.ToArray(), Is.EqualTo(row.Select(v => (long)v).ToArray()));
    }

    [Test]
    public void PackedRowsWithSeqIdxAndPaddingTail()
    {
        using var batch = new Batch();
        new FlatteningCollator(new FlatteningOptions { PadTokenId = 0, PadToMultipleOf = 4 })
            .CollatePacked(Rows([1, 2, 3], [4, 5]).AsSpan(), Rows([2, 1], [2]).AsSpan(), batch);
        Assert.That(batch.InputIds.ToArray(), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 0, 0, 0 }));
        Assert.That(batch.PositionIds.ToArray(), Is.EqualTo(new long[] { 0, 1, 0, 0, 1, 0, 0, 0 }));
        Assert.That(batch.Labels.ToArray(), Is.EqualTo(new long[] { -100, 2, -100, -100, 5, -100, -100, -100 }));
        Assert.That(batch.SeqIdx.ToArray(), Is.EqualTo(new long[] { 0, 0, 1, 2, 2, 3, 4, 5 }));
        Assert.That(batch.CuSeqLens.ToArray(), Is.EqualTo(new long[] { 0, 2, 3, 5, 6, 7, 8 }));
        Assert.That(batch.MaxLength, Is.EqualTo(2));
    }

    [Test]
    public void MisalignedInputsSayWhatIsWrong()
    {
        using var batch = new Batch();
        var ids = Rows([1, 2, 3]);
        var ex = Assert.Throws<ArgumentException>(() => new PaddingCollator(new PaddingOptions()).Collate(ids.AsSpan(), Rows([1, 2]).AsSpan(), batch));
        Assert.That(ex!.Message, Does.Contain("one value per token"));
        ex = Assert.Throws<ArgumentException>(() => new FlatteningCollator(new FlatteningOptions()).CollatePacked(ids.AsSpan(), Rows([2]).AsSpan(), batch));
        Assert.That(ex!.Message, Does.Contain("sums to 2 but the row holds 3"));
        Assert.Throws<ArgumentException>(() => new PaddingCollator(new PaddingOptions { PadToMaxLength = true }));
    }

    [Test]
    public void SteadyStateCollationAllocatesNothing()
    {
        var ids = Rows([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3], [4, 5, 6, 7]);
        using var batch = new Batch();
        var padding = new PaddingCollator(new PaddingOptions { PadToMultipleOf = 8 });
        var flattening = new FlatteningCollator(new FlatteningOptions());
        padding.Collate(ids.AsSpan(), batch);
        flattening.Collate(ids.AsSpan(), batch);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            padding.Collate(ids.AsSpan(), batch);
            flattening.Collate(ids.AsSpan(), batch);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void DisposedBatchRefusesReuse()
    {
        var batch = new Batch();
        batch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => new PaddingCollator(new PaddingOptions()).Collate(Rows([1]).AsSpan(), batch));
    }
}

public class TrainingBatchConversionTests
{
    [Test]
    public void PaddedAndPaddingFreeBatchesReachTheTrainer()
    {
        using var batch = new Batch();
        var ids = Ragged<int>.FromRows([[1, 2, 3], [4, 5]]);
        new PaddingCollator(new PaddingOptions { PadTokenId = 0, PadToMultipleOf = 4 }).Collate(ids.AsSpan(), batch);
        var padded = batch.ToTrainingBatch();
        Assert.That((padded.Rows, padded.Columns, padded.PositionIds), Is.EqualTo((2, 4, (long[]?)null)));
        Assert.That(padded.AttentionMask, Is.EqualTo(new long[] { 1, 1, 1, 0, 1, 1, 0, 0 }));

        new FlatteningCollator(new FlatteningOptions()).Collate(ids.AsSpan(), batch);
        var flat = batch.ToTrainingBatch();
        Assert.That((flat.Rows, flat.Columns, flat.AttentionMask), Is.EqualTo((1, 5, (long[]?)null)));
        Assert.That(flat.PositionIds, Is.EqualTo(new long[] { 0, 1, 2, 0, 1 }));
        Assert.That(flat.TrainableTokens, Is.EqualTo(3));
    }
}
