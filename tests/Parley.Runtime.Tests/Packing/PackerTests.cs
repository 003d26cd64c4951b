using Parley.Buffers;
using CsCheck;
using Parley.Collation;
using Parley.Packing;
using Parley.Runtime.Tests.Collation;

namespace Parley.Runtime.Tests.Packing;

public class PackerTests
{
    private static int[] Lengths(Ragged<int> rows) => Enumerable.Range(0, rows.Count).Select(r => rows[r].Length).ToArray();

    [Test]
    public void WrappedWithSeparatorLikeConstantLengthDataset()
    {
        var ids = Ragged<int>.FromRows([[1, 2, 3], [4, 5], [], [6]]);
        var plan = Packer.Plan(Lengths(ids), new PackingOptions { SeqLength = 4, Strategy = PackingStrategy.Wrapped, Separator = true });
        Assert.That(plan.Apply(ids.AsSpan(), 0).ToRows(), Is.EqualTo(new[] { new[] { 1, 2, 3, 0 }, [4, 5, 0, 6], [0] }));
        Assert.That(plan.SeqLengths().ToRows(), Is.EqualTo(new[] { new[] { 4 }, [3, 1], [1] }));
        Assert.Throws<InvalidOperationException>(() => plan.Apply(ids.AsSpan()));
        Assert.That(plan.Report.EmptySequences, Is.EqualTo(1));

        var dropTail = Packer.Plan(Lengths(ids), new PackingOptions { SeqLength = 4, Strategy = PackingStrategy.Wrapped, Separator = true, DropIncompleteTail = true });
        Assert.That(dropTail.Apply(ids.AsSpan(), -1).ToRows(), Is.EqualTo(new[] { new[] { 1, 2, 3, -1 }, [4, 5, -1, 6] }));
        Assert.That((dropTail.Report.DroppedTokens, dropTail.Report.FillEfficiency), Is.EqualTo((1L, 1.0)));
    }

    [Test]
    public void ReportCountsTruncationAndFill()
    {
        var plan = Packer.Plan([5, 2, 4, 1, 0], new PackingOptions { SeqLength = 4, Strategy = PackingStrategy.Bfd });
        var report = plan.Report;
        Assert.That((report.Sequences, report.EmptySequences, report.LongSequences, report.DroppedTokens, report.Rows, report.Tokens), Is.EqualTo((5L, 1L, 1L, 1L, 3L, 11L)));
        Assert.That(report.FillEfficiency, Is.EqualTo(11.0 / 12));
        Assert.That(report.ToString(), Does.Contain("fill 91.67 %"));
    }

    [Test]
    public void ApplyingToAColumnOfAnotherShapeSaysSo()
    {
        var plan = Packer.Plan([2, 1], new PackingOptions { SeqLength = 4 });
        var ex = Assert.Throws<ArgumentException>(() => plan.Apply(Ragged<int>.FromRows([[1, 2], [3, 4]]).AsSpan()));
        Assert.That(ex!.Message, Does.Contain("Row 1 of the column has 2 values; the plan was made for 1"));
        Assert.Throws<ArgumentException>(() => Packer.Plan([1], new PackingOptions { SeqLength = 0 }));
        Assert.Throws<ArgumentException>(() => Packer.Plan([1], new PackingOptions { SeqLength = 4, Separator = true }));
    }

    [Test]
    public void PlanAppliesToEveryColumnAlike()
    {
        var ids = Ragged<int>.FromRows([[1, 2, 3], [4, 5, 6, 7], [8]]);
        var labels = Ragged<long>.FromRows([[-100, 2, 3], [-100, -100, 6, 7], [8]]);
        var plan = Packer.Plan(Lengths(ids), new PackingOptions { SeqLength = 4 });
        Assert.That(plan.Apply(labels.AsSpan()).ToRows(), Is.EqualTo(new[] { new long[] { -100, -100, 6, 7 }, [-100, 2, 3, 8] }));
    }

    private static readonly Gen<int[][]> Rows = Gen.Int[0, 40].Array[0, 30].Array[0, 40];

    [TestCase(PackingStrategy.BfdSplit)]
    [TestCase(PackingStrategy.Wrapped)]
    public void SplittingStrategiesKeepEveryTokenAndNeverExceedSeqLength(PackingStrategy strategy)
    {
        Property.ForAll(Gen.Select(Rows, Gen.Int[1, 17]), t =>
        {
            var (rows, seqLength) = t;
            var ids = Ragged<int>.FromRows(rows);
            var plan = Packer.Plan(Lengths(ids), new PackingOptions { SeqLength = seqLength, Strategy = strategy });
            var packed = plan.Apply(ids.AsSpan());
            Assert.That(packed.Values.ToArray().Order(), Is.EqualTo(ids.Values.ToArray().Order()), "multiset of tokens");
            for (int r = 0; r < packed.Count; r++)
            {
                Assert.That(packed[r].Length, Is.InRange(1, seqLength));
                Assert.That(plan.SeqLengths()[r].ToArray().Sum(), Is.EqualTo(packed[r].Length));
            }
            Assert.That(plan.Report.Tokens, Is.EqualTo(ids.Values.Length));
        });
    }

    [Test]
    public void BfdKeepsEachSequencesPrefixAndIsAsTightAsFirstFitDecreasing()
    {
        Property.ForAll(Gen.Select(Rows, Gen.Int[1, 17]), t =>
        {
            var (rows, seqLength) = t;
            var lengths = rows.Select(r => r.Length).ToArray();
            var plan = Packer.Plan(lengths, new PackingOptions { SeqLength = seqLength, Strategy = PackingStrategy.Bfd });
            var seen = new int[rows.Length];
            for (int r = 0; r < plan.Count; r++)
            {
                Assert.That(plan.RowLength(r), Is.InRange(1, seqLength));
                foreach (var segment in plan.SegmentsOf(r))
                {
                    Assert.That((segment.Start, segment.Length), Is.EqualTo((0, Math.Min(lengths[segment.SourceRow], seqLength))));
                    seen[segment.SourceRow]++;
                }
            }
            for (int i = 0; i < rows.Length; i++) Assert.That(seen[i], Is.EqualTo(lengths[i] > 0 ? 1 : 0));
            // Best fit never opens a row while an open one has room for the item, so at most one row is half full or less.
            int half = 0;
            for (int r = 0; r < plan.Count; r++) if (plan.RowLength(r) * 2 <= seqLength) half++;
            Assert.That(half, Is.LessThanOrEqualTo(1));
        });
    }
}
