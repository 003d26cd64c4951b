using Parley.Buffers;
using System.Numerics;
using Parley.Labels;

namespace Parley.Collation;

/// <summary>How <see cref="FlatteningCollator"/> shapes a padding-free batch.</summary>
/// <example><code>var options = new FlatteningOptions { PadTokenId = 0, PadToMultipleOf = 64 };</code></example>
public sealed record FlatteningOptions
{
    /// <summary>The id written into the padding tail when <see cref="PadToMultipleOf"/> asks for one.</summary>
    public long PadTokenId { get; init; }

    /// <summary>Round the single row up to a multiple of this; 0 or 1 for none.</summary>
    public int PadToMultipleOf { get; init; }

    /// <summary>Write <see cref="Batch.SeqIdx"/> (Mamba-style kernels want it); on by default.</summary>
    public bool ReturnSeqIdx { get; init; } = true;
}

/// <summary>
/// Padding-free collation (transformers <c>DataCollatorWithFlattening</c>, TRL <c>padding_free</c>): every sequence
/// of the batch concatenated into one row, <c>position_ids</c> restarting at 0 for each sequence, the first label of
/// each sequence -100 (it has no previous token in its own sequence), and <c>cu_seq_lens</c> / <c>max_length</c> /
/// <c>seq_idx</c> so attention never crosses sequences.
/// </summary>
/// <remarks>
/// Rows that are already packed (see <c>Parley.Packing</c>) pass their <c>seq_lengths</c>, and every packed
/// sequence restarts its positions. A padding tail (<see cref="FlatteningOptions.PadToMultipleOf"/>) has position 0,
/// label -100 and, as transformers derives sequences from <c>position_ids == 0</c>, each padding token counts as a
/// sequence of length 1 in <c>cu_seq_lens</c> and <c>seq_idx</c>.
/// </remarks>
/// <example><code>
/// var collator = new FlatteningCollator(new FlatteningOptions());
/// using var batch = new Batch();
/// collator.Collate(Ragged&lt;int&gt;.FromRows([[1, 2, 3], [4, 5]]).AsSpan(), batch);
/// // input_ids [[1,2,3,4,5]]  position_ids [[0,1,2,0,1]]  labels [[-100,2,3,-100,5]]  cu_seq_lens [0,3,5]
/// </code></example>
public sealed class FlatteningCollator
{
    private readonly FlatteningOptions _options;

    /// <summary>Creates a collator.</summary>
    /// <exception cref="ArgumentException"><see cref="FlatteningOptions.PadToMultipleOf"/> is negative.</exception>
    public FlatteningCollator(FlatteningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PadToMultipleOf < 0)
        {
            throw new ArgumentException($"PadToMultipleOf must be 0 (none) or positive; got {options.PadToMultipleOf}.", nameof(options));
        }
        _options = options;
    }

    /// <summary>Language modelling labels (the ids), each sequence's first label -100.</summary>
    public void Collate<T>(RaggedSpan<T> inputIds, Batch batch) where T : unmanaged, IBinaryInteger<T> =>
        CollateCore(inputIds, inputIds, default, hasSeqLengths: false, batch);

    /// <summary>Precomputed labels (id or -100 per token), each sequence's first label -100.</summary>
    /// <exception cref="ArgumentException">Labels do not align with the ids.</exception>
    public void Collate<T>(RaggedSpan<T> inputIds, RaggedSpan<T> labels, Batch batch) where T : unmanaged, IBinaryInteger<T>
    {
        CheckLabels(inputIds, labels);
        CollateCore(inputIds, labels, default, hasSeqLengths: false, batch);
    }

    /// <summary>
    /// Packed rows: <paramref name="seqLengths"/> row <c>i</c> lists the lengths of the sequences packed into row
    /// <c>i</c> (they must sum to its length).
    /// </summary>
    /// <exception cref="ArgumentException">Labels do not align with the ids, or a row's sequence lengths do not sum to its length.</exception>
    public void CollatePacked<T>(RaggedSpan<T> inputIds, RaggedSpan<T> labels, RaggedSpan<int> seqLengths, Batch batch) where T : unmanaged, IBinaryInteger<T>
    {
        CheckLabels(inputIds, labels);
        CheckSeqLengths(inputIds, seqLengths);
        CollateCore(inputIds, labels, seqLengths, hasSeqLengths: true, batch);
    }

    /// <summary>Packed rows with language-modelling labels.</summary>
    /// <exception cref="ArgumentException">A row's sequence lengths do not sum to its length.</exception>
    public void CollatePacked<T>(RaggedSpan<T> inputIds, RaggedSpan<int> seqLengths, Batch batch) where T : unmanaged, IBinaryInteger<T>
    {
        CheckSeqLengths(inputIds, seqLengths);
        CollateCore(inputIds, inputIds, seqLengths, hasSeqLengths: true, batch);
    }

    private static void CheckLabels<T>(RaggedSpan<T> inputIds, RaggedSpan<T> labels)
    {
        if (!inputIds.HasSameShape(labels))
        {
            throw new ArgumentException("Labels must have one value per token: their rows differ in number or length from input_ids.", nameof(labels));
        }
    }

    private static void CheckSeqLengths<T>(RaggedSpan<T> inputIds, RaggedSpan<int> seqLengths)
    {
        if (seqLengths.Count != inputIds.Count)
        {
            throw new ArgumentException($"seq_lengths has {seqLengths.Count} rows; input_ids has {inputIds.Count}.", nameof(seqLengths));
        }
        for (int r = 0; r < inputIds.Count; r++)
        {
            long sum = 0;
            foreach (int length in seqLengths[r])
            {
                if (length < 0) throw new ArgumentException($"seq_lengths row {r} holds a negative length ({length}).", nameof(seqLengths));
                sum += length;
            }
            if (sum != inputIds.LengthOf(r))
            {
                throw new ArgumentException($"seq_lengths row {r} sums to {sum} but the row holds {inputIds.LengthOf(r)} tokens; pass the seq_lengths produced with these rows.", nameof(seqLengths));
            }
        }
    }

    private void CollateCore<T>(RaggedSpan<T> inputIds, RaggedSpan<T> labels, RaggedSpan<int> seqLengths, bool hasSeqLengths, Batch batch)
        where T : unmanaged, IBinaryInteger<T>
    {
        ArgumentNullException.ThrowIfNull(batch);
        int total = inputIds.TotalLength;
        int width = PaddingOptions.RoundUp(total, _options.PadToMultipleOf);
        int padding = width - total;
        int sequences = hasSeqLengths ? seqLengths.TotalLength : inputIds.Count;
        batch.Reset(1, width, attentionMask: false, positionIds: true, seqIdx: _options.ReturnSeqIdx, cuSeqLens: sequences + padding + 1);

        var ids = batch.InputIds;
        var lab = batch.Labels;
        var pos = batch.PositionIds;
        var seqIdx = batch.SeqIdx;
        var cu = batch.CuSeqLens;
        Widen.Copy(inputIds.Values[..total], ids);
        Widen.Copy(labels.Values[..total], lab);

        int seq = 0;
        int cursor = 0;
        int maxLength = 0;
        cu[0] = 0;
        for (int r = 0; r < inputIds.Count; r++)
        {
            if (hasSeqLengths)
            {
                foreach (int length in seqLengths[r])
                {
                    if (length == 0) { cu[++seq] = cursor; continue; }
                    WriteSequence(cursor, length, seq, pos, lab, seqIdx);
                    cursor += length;
                    cu[++seq] = cursor;
                    maxLength = Math.Max(maxLength, length);
                }
            }
            else
            {
                int length = inputIds.LengthOf(r);
                if (length > 0) WriteSequence(cursor, length, seq, pos, lab, seqIdx);
                cursor += length;
                cu[++seq] = cursor;
                maxLength = Math.Max(maxLength, length);
            }
        }

        if (padding > 0)
        {
            ids[total..].Fill(_options.PadTokenId);
            lab[total..].Fill(LabelIds.Ignore);
            pos[total..].Fill(0);
            for (int i = total; i < width; i++)
            {
                if (!seqIdx.IsEmpty) seqIdx[i] = seq;
                cu[++seq] = i + 1;
            }
            maxLength = Math.Max(maxLength, 1);
        }
        batch.SetMaxLength(maxLength);
    }

    private static void WriteSequence(int start, int length, int seq, Span<long> pos, Span<long> labels, Span<long> seqIdx)
    {
        var p = pos.Slice(start, length);
        for (int i = 0; i < p.Length; i++) p[i] = i;
        labels[start] = LabelIds.Ignore;
        if (!seqIdx.IsEmpty) seqIdx.Slice(start, length).Fill(seq);
    }
}
