using Parley.Buffers;
using CsCheck;
using Parley.Collation;
using Parley.Labels;

namespace Parley.Runtime.Tests.Collation;

public class CollationPropertyTests
{
    private static readonly Gen<int[][]> Sequences = Gen.Int[0, 50].Array[0, 12].Array[1, 8];

    [Test]
    public void PaddingFreeEqualsPaddedWithPaddingRemoved()
    {
        using var padded = new Batch();
        using var flat = new Batch();
        Property.ForAll(Gen.Select(Sequences, Gen.Bool), t =>
        {
            var (rows, left) = t;
            var ids = Ragged<int>.FromRows(rows);
            new PaddingCollator(new PaddingOptions { PadTokenId = 0, Side = left ? PaddingSide.Left : PaddingSide.Right, PadToMultipleOf = 3 })
                .Collate(ids.AsSpan(), padded);
            new FlatteningCollator(new FlatteningOptions()).Collate(ids.AsSpan(), flat);

            var keptIds = new List<long>();
            var keptLabels = new List<long>();
            var positions = new List<long>();
            for (int r = 0; r < padded.Rows; r++)
            {
                long position = 0;
                for (int c = 0; c < padded.Columns; c++)
                {
                    if (padded.AttentionMaskRow(r)[c] == 0) continue;
                    keptIds.Add(padded.InputIdsRow(r)[c]);
                    keptLabels.Add(position == 0 ? LabelIds.Ignore : padded.LabelsRow(r)[c]);
                    positions.Add(position++);
                }
            }
            Assert.That(flat.InputIds.ToArray(), Is.EqualTo(keptIds));
            Assert.That(flat.Labels.ToArray(), Is.EqualTo(keptLabels));
            Assert.That(flat.PositionIds.ToArray(), Is.EqualTo(positions));
            Assert.That(flat.CuSeqLens[^1], Is.EqualTo(keptIds.Count));
        });
    }

    [Test]
    public void CollatedLabelsAreIgnoreOrTheIdAtTheSamePosition()
    {
        using var batch = new Batch();
        var masker = new MarkerMasker<int>([7, 8]);
        Property.ForAll(Gen.Select(Gen.Int[0, 10].Array[0, 30].Array[1, 6], Gen.Bool), t =>
        {
            var (rows, flatten) = t;
            var ids = Ragged<int>.FromRows(rows);
            var labels = new int[ids.Values.Length];
            masker.Apply(ids.AsSpan(), labels, new MarkerReport());
            var labelled = new Ragged<int>(labels, ids.Offsets.ToArray());
            if (flatten) new FlatteningCollator(new FlatteningOptions { PadToMultipleOf = 8 }).Collate(ids.AsSpan(), labelled.AsSpan(), batch);
            else new PaddingCollator(new PaddingOptions { PadTokenId = 7 }).Collate(ids.AsSpan(), labelled.AsSpan(), batch);
            for (int i = 0; i < batch.Length; i++)
            {
                Assert.That(batch.Labels[i] == LabelIds.Ignore || batch.Labels[i] == batch.InputIds[i], $"label {batch.Labels[i]} at {i} vs id {batch.InputIds[i]}");
            }
        });
    }
}
