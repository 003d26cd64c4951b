using Parley.Buffers;
using Parley.Collation;
using Parley.Packing;
using static Parley.Runtime.Tests.Collation.ReferenceCases;

namespace Parley.Runtime.Tests.Packing;

public class ReferencePackingTests
{
    private static IEnumerable<string> Cases() => Names("packing");

    [TestCaseSource(nameof(Cases))]
    public void Packing(string name)
    {
        var c = Get("packing", name);
        var ids = Ragged<int>.FromRows(Rows(c.GetProperty("input_ids")));
        var strategy = c.GetProperty("strategy").GetString() switch
        {
            "wrapped" => PackingStrategy.Wrapped,
            "bfd" => PackingStrategy.Bfd,
            "bfd_split" => PackingStrategy.BfdSplit,
            var s => throw new AssertionException($"unknown strategy {s}"),
        };
        var lengths = new int[ids.Count];
        for (int r = 0; r < ids.Count; r++) lengths[r] = ids[r].Length;
        var plan = Packer.Plan(lengths, new PackingOptions { SeqLength = c.GetProperty("seq_length").GetInt32(), Strategy = strategy });
        var packed = plan.Apply(ids.AsSpan());
        var expect = c.GetProperty("expect");
        Assert.That(packed.ToRows(), Is.EqualTo(Rows(expect.GetProperty("input_ids"))), "input_ids");
        if (TryGet(expect, "seq_lengths", out var e)) Assert.That(plan.SeqLengths().ToRows(), Is.EqualTo(Rows(e)), "seq_lengths");
        Assert.That(plan.Report.Rows, Is.EqualTo(packed.Count));
        Assert.That(plan.Report.Tokens, Is.EqualTo(packed.Values.Length));
    }
}
