using Parley.Buffers;
using System.Buffers;

namespace Parley.Collation;

/// <summary>
/// One collated batch as flat, row-major <see cref="long"/> buffers of shape <c>[Rows, Columns]</c> (the int64
/// tensors a trainer wants), plus the flash-attention extras of padding-free batches (<see cref="CuSeqLens"/>,
/// <see cref="MaxLength"/>). Buffers are rented from <see cref="ArrayPool{T}"/> and reused: collate into the same
/// instance every step and steady state allocates nothing. Dispose to return the buffers.
/// </summary>
/// <remarks>
/// The spans (<see cref="InputIds"/> …) are exactly <c>Rows * Columns</c> long; the backing arrays
/// (<see cref="InputIdsArray"/> …) may be longer, which lets a trainer wrap them as tensors without copying
/// (slice the first <c>Rows * Columns</c> elements). A batch is valid until the next collate into it.
/// </remarks>
/// <example><code>
/// using var batch = new Batch();
/// var collator = new PaddingCollator(new PaddingOptions { PadTokenId = 0 });
/// collator.Collate(Ragged&lt;int&gt;.FromRows([[1, 2, 3], [4, 5]]).AsSpan(), batch);
/// // batch.Rows == 2, batch.Columns == 3, batch.InputIds == [1, 2, 3, 4, 5, 0]
/// </code></example>
public sealed class Batch : IDisposable
{
    private long[] _inputIds = [];
    private long[] _attentionMask = [];
    private long[] _labels = [];
    private long[] _positionIds = [];
    private long[] _seqIdx = [];
    private long[] _cuSeqLens = [];
    private int _cuSeqLensCount;
    private bool _disposed;

    /// <summary>Number of rows (1 for a padding-free batch).</summary>
    public int Rows { get; private set; }

    /// <summary>Number of columns (the padded length).</summary>
    public int Columns { get; private set; }

    /// <summary><c>Rows * Columns</c>.</summary>
    public int Length => Rows * Columns;

    /// <summary>Whether <see cref="AttentionMask"/> was written by the last collate.</summary>
    public bool HasAttentionMask { get; private set; }

    /// <summary>Whether <see cref="PositionIds"/> was written by the last collate.</summary>
    public bool HasPositionIds { get; private set; }

    /// <summary>Whether <see cref="SeqIdx"/> was written by the last collate.</summary>
    public bool HasSeqIdx { get; private set; }

    /// <summary>Token ids, row-major.</summary>
    public Span<long> InputIds => _inputIds.AsSpan(0, Length);

    /// <summary>1 for real tokens, 0 for padding (empty unless <see cref="HasAttentionMask"/>).</summary>
    public Span<long> AttentionMask => HasAttentionMask ? _attentionMask.AsSpan(0, Length) : default;

    /// <summary>Labels: the id to predict or -100 (<see cref="Labels.LabelIds.Ignore"/>).</summary>
    public Span<long> Labels => _labels.AsSpan(0, Length);

    /// <summary>Position of each token inside its own sequence (empty unless <see cref="HasPositionIds"/>).</summary>
    public Span<long> PositionIds => HasPositionIds ? _positionIds.AsSpan(0, Length) : default;

    /// <summary>Index of the sequence each token belongs to (empty unless <see cref="HasSeqIdx"/>).</summary>
    public Span<long> SeqIdx => HasSeqIdx ? _seqIdx.AsSpan(0, Length) : default;

    /// <summary>Cumulative sequence lengths <c>[0, l0, l0 + l1, …]</c> of a padding-free batch (empty otherwise).</summary>
    public Span<long> CuSeqLens => _cuSeqLens.AsSpan(0, _cuSeqLensCount);

    /// <summary>Length of the longest sequence of a padding-free batch (0 otherwise).</summary>
    public int MaxLength { get; private set; }

    /// <summary>Backing array of <see cref="InputIds"/> (may be longer than <see cref="Length"/>).</summary>
    public long[] InputIdsArray => _inputIds;

    /// <summary>Backing array of <see cref="AttentionMask"/>.</summary>
    public long[] AttentionMaskArray => _attentionMask;

    /// <summary>Backing array of <see cref="Labels"/>.</summary>
    public long[] LabelsArray => _labels;

    /// <summary>Backing array of <see cref="PositionIds"/>.</summary>
    public long[] PositionIdsArray => _positionIds;

    /// <summary>Row <paramref name="row"/> of <see cref="InputIds"/>.</summary>
    public Span<long> InputIdsRow(int row) => InputIds.Slice(row * Columns, Columns);

    /// <summary>Row <paramref name="row"/> of <see cref="Labels"/>.</summary>
    public Span<long> LabelsRow(int row) => Labels.Slice(row * Columns, Columns);

    /// <summary>Row <paramref name="row"/> of <see cref="AttentionMask"/>.</summary>
    public Span<long> AttentionMaskRow(int row) => AttentionMask.Slice(row * Columns, Columns);

    /// <summary>Shapes the batch for a collate, growing pooled buffers only when they are too small.</summary>
    internal void Reset(int rows, int columns, bool attentionMask, bool positionIds, bool seqIdx, int cuSeqLens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int length = checked(rows * columns);
        Rows = rows;
        Columns = columns;
        HasAttentionMask = attentionMask;
        HasPositionIds = positionIds;
        HasSeqIdx = seqIdx;
        MaxLength = 0;
        Ensure(ref _inputIds, length);
        Ensure(ref _labels, length);
        if (attentionMask) Ensure(ref _attentionMask, length);
        if (positionIds) Ensure(ref _positionIds, length);
        if (seqIdx) Ensure(ref _seqIdx, length);
        Ensure(ref _cuSeqLens, cuSeqLens);
        _cuSeqLensCount = cuSeqLens;
    }

    internal void SetMaxLength(int maxLength) => MaxLength = maxLength;

    internal void SetCuSeqLensCount(int count) => _cuSeqLensCount = count;

    private static void Ensure(ref long[] buffer, int length)
    {
        if (buffer.Length >= length) return;
        if (buffer.Length > 0) ArrayPool<long>.Shared.Return(buffer);
        buffer = ArrayPool<long>.Shared.Rent(length);
    }

    /// <summary>Returns the buffers to the pool; the batch must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var buffer in new[] { _inputIds, _attentionMask, _labels, _positionIds, _seqIdx, _cuSeqLens })
        {
            if (buffer.Length > 0) ArrayPool<long>.Shared.Return(buffer);
        }
        _inputIds = _attentionMask = _labels = _positionIds = _seqIdx = _cuSeqLens = [];
        Rows = Columns = 0;
    }
}
