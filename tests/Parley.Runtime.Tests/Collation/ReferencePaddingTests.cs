using Parley.Buffers;
using Parley.Collation;
using Parley.Labels;
using static Parley.Runtime.Tests.Collation.ReferenceCases;

namespace Parley.Runtime.Tests.Collation;

public class ReferencePaddingTests
{
    private static IEnumerable<string> PaddingCases() => Names("padding");
    private static IEnumerable<string> PaddingFreeCases() => Names("padding_free");

    [TestCaseSource(nameof(PaddingCases))]
    public void Padding(string name)
    {
        var c = Get("padding", name);
        var ids = Ragged<int>.FromRows(Rows(c.GetProperty("input_ids")));
        var options = new PaddingOptions
        {
            PadTokenId = c.GetProperty("pad_token_id").GetInt64(),
            Side = c.GetProperty("padding_side").GetString() == "left" ? PaddingSide.Left : PaddingSide.Right,
            PadToMultipleOf = TryGet(c, "pad_to_multiple_of", out var m) ? m.GetInt32() : 0,
        };
        using var batch = new Batch();
        var collator = new PaddingCollator(options);
        if (TryGet(c, "completion_mask", out var mask))
        {
            var labels = LabelsFromMask(ids, Ragged<int>.FromRows(Rows(mask)));
            collator.Collate(ids.AsSpan(), labels.AsSpan(), batch);
        }
        else
        {
            collator.Collate(ids.AsSpan(), batch);
        }
        var expect = c.GetProperty("expect");
        int rows = expect.EnumerateObject().First().Value.GetArrayLength();
        Assert.That(batch.Rows, Is.EqualTo(rows));
        if (TryGet(expect, "input_ids", out var e)) Assert.That(batch.InputIds.ToArray(), Is.EqualTo(Flat(e)), "input_ids");
        if (TryGet(expect, "attention_mask", out e)) Assert.That(batch.AttentionMask.ToArray(), Is.EqualTo(Flat(e)), "attention_mask");
        if (TryGet(expect, "labels", out e)) Assert.That(batch.Labels.ToArray(), Is.EqualTo(Flat(e)), "labels");
    }

    [TestCaseSource(nameof(PaddingFreeCases))]
    public void PaddingFree(string name)
    {
        var c = Get("padding_free", name);
        var ids = Ragged<int>.FromRows(Rows(c.GetProperty("input_ids")));
        var options = new FlatteningOptions
        {
            PadTokenId = TryGet(c, "pad_token_id", out var p) ? p.GetInt64() : 0,
            PadToMultipleOf = TryGet(c, "pad_to_multiple_of", out var m) ? m.GetInt32() : 0,
        };
        using var batch = new Batch();
        var collator = new FlatteningCollator(options);
        var labels = TryGet(c, "completion_mask", out var mask) ? LabelsFromMask(ids, Ragged<int>.FromRows(Rows(mask))) : ids;
        if (TryGet(c, "seq_lengths", out var seqLengths))
        {
            collator.CollatePacked(ids.AsSpan(), labels.AsSpan(), Ragged<int>.FromRows(Rows(seqLengths)).AsSpan(), batch);
        }
        else
        {
            collator.Collate(ids.AsSpan(), labels.AsSpan(), batch);
        }
        AssertFlattened(batch, c.GetProperty("expect"));
    }

    internal static void AssertFlattened(Batch batch, System.Text.Json.JsonElement expect)
    {
        Assert.That(batch.Rows, Is.EqualTo(1));
        Assert.That(batch.HasAttentionMask, Is.False);
        if (TryGet(expect, "input_ids", out var e)) Assert.That(batch.InputIds.ToArray(), Is.EqualTo(Flat(e)), "input_ids");
        if (TryGet(expect, "position_ids", out e)) Assert.That(batch.PositionIds.ToArray(), Is.EqualTo(Flat(e)), "position_ids");
        if (TryGet(expect, "labels", out e)) Assert.That(batch.Labels.ToArray(), Is.EqualTo(Flat(e)), "labels");
        if (TryGet(expect, "cu_seq_lens", out e)) Assert.That(batch.CuSeqLens.ToArray(), Is.EqualTo(Flat(e)), "cu_seq_lens");
        if (TryGet(expect, "max_length", out e)) Assert.That(batch.MaxLength, Is.EqualTo(e.GetInt32()), "max_length");
        if (TryGet(expect, "seq_idx", out e)) Assert.That(batch.SeqIdx.ToArray(), Is.EqualTo(Flat(e)), "seq_idx");
    }

    internal static Ragged<int> LabelsFromMask(Ragged<int> ids, Ragged<int> mask)
    {
        var values = new int[ids.Values.Length];
        for (int r = 0; r < ids.Count; r++)
        {
            CompletionMask.Apply<int, int>(ids[r], mask[r], values.AsSpan(ids.Offsets[r]));
        }
        return new Ragged<int>(values, ids.Offsets.ToArray());
    }
}
