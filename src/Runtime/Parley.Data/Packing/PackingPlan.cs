using Parley.Buffers;
using Parley.Collation;

namespace Parley.Packing;

/// <summary>
/// Where every token of every packed row comes from, computed once from the sequence lengths and applied to each
/// column (<c>input_ids</c>, <c>labels</c>, <c>completion_mask</c> …) so the columns stay aligned.
/// <see cref="SeqLengths"/> gives the <c>seq_lengths</c> column the padding-free collator needs to restart
/// <c>position_ids</c> so training never attends across sequences.
/// </summary>
/// <example><code>
/// var ids = Ragged&lt;int&gt;.FromRows([[1, 2, 3], [4, 5, 6, 7], [8]]);
/// int[] lengths = [3, 4, 1];
/// PackingPlan plan = Packer.Plan(lengths, new PackingOptions { SeqLength = 4 });
/// Ragged&lt;int&gt; packed = plan.Apply(ids.AsSpan());   // [[4, 5, 6, 7], [1, 2, 3, 8]]
/// Ragged&lt;int&gt; seqLengths = plan.SeqLengths();      // [[4], [3, 1]]
/// </code></example>
public sealed class PackingPlan
{
    private readonly PackedSegment[] _segments;
    private readonly int[] _rowOffsets;
    private readonly int[] _sourceLengths;

    internal PackingPlan(PackedSegment[] segments, int segmentCount, int[] rowOffsets, int[] sourceLengths, PackingReport report, bool hasSeparators)
    {
        _segments = segmentCount == segments.Length ? segments : segments[..segmentCount];
        _rowOffsets = rowOffsets;
        _sourceLengths = sourceLengths;
        Report = report;
        HasSeparators = hasSeparators;
    }

    /// <summary>Number of packed rows.</summary>
    public int Count => _rowOffsets.Length - 1;

    /// <summary>Every segment, row after row.</summary>
    public ReadOnlySpan<PackedSegment> Segments => _segments;

    /// <summary><c>Count + 1</c> offsets of each row's segments in <see cref="Segments"/>.</summary>
    public ReadOnlySpan<int> RowOffsets => _rowOffsets;

    /// <summary>Whether rows contain separator tokens (wrapped packing with a separator).</summary>
    public bool HasSeparators { get; }

    /// <summary>Fill efficiency and what was truncated, split or dropped.</summary>
    public PackingReport Report { get; }

    /// <summary>Segments of packed row <paramref name="row"/>.</summary>
    public ReadOnlySpan<PackedSegment> SegmentsOf(int row) => _segments.AsSpan(_rowOffsets[row], _rowOffsets[row + 1] - _rowOffsets[row]);

    /// <summary>Tokens in packed row <paramref name="row"/>.</summary>
    public int RowLength(int row)
    {
        int n = 0;
        foreach (var segment in SegmentsOf(row)) n += segment.TokenCount;
        return n;
    }

    /// <summary>Total tokens over all packed rows.</summary>
    public long TotalTokens => Report.Tokens;

    /// <summary>The <c>seq_lengths</c> column: per row, the token count of each packed sequence.</summary>
    public Ragged<int> SeqLengths()
    {
        var values = new int[_segments.Length];
        for (int i = 0; i < values.Length; i++) values[i] = _segments[i].TokenCount;
        return new Ragged<int>(values, (int[])_rowOffsets.Clone());
    }

    /// <summary>Packs one column (a plan without separators).</summary>
    /// <exception cref="InvalidOperationException">The plan has separators: use the overload that takes the separator value.</exception>
    /// <exception cref="ArgumentException">The column's rows are not the sequences this plan was made for.</exception>
    public Ragged<T> Apply<T>(RaggedSpan<T> column)
    {
        if (HasSeparators)
        {
            throw new InvalidOperationException("This plan puts a separator after each sequence: call Apply(column, separator) with the separator's value for this column (e.g. the EOS id for input_ids and labels).");
        }
        return Apply(column, default!);
    }

    /// <summary>Packs one column, writing <paramref name="separator"/> where the plan has separator tokens.</summary>
    /// <exception cref="ArgumentException">The column's rows are not the sequences this plan was made for.</exception>
    public Ragged<T> Apply<T>(RaggedSpan<T> column, T separator)
    {
        var offsets = new int[Count + 1];
        for (int r = 0; r < Count; r++) offsets[r + 1] = checked(offsets[r] + RowLength(r));
        var values = new T[offsets[^1]];
        Apply(column, separator, values, offsets);
        return new Ragged<T>(values, offsets);
    }

    /// <summary>
    /// Packs one column into caller-owned buffers (pooled, reused): <paramref name="values"/> needs
    /// <see cref="TotalTokens"/> slots, <paramref name="offsets"/> <see cref="Count"/> + 1.
    /// </summary>
    /// <exception cref="ArgumentException">The column does not match the plan, or a buffer is too small.</exception>
    public void Apply<T>(RaggedSpan<T> column, T separator, Span<T> values, Span<int> offsets)
    {
        if (column.Count != _sourceLengths.Length)
        {
            throw new ArgumentException($"The column has {column.Count} rows; this plan packs {_sourceLengths.Length} sequences. Apply the plan to columns of the dataset it was made from.", nameof(column));
        }
        for (int r = 0; r < _sourceLengths.Length; r++)
        {
            if (column.LengthOf(r) != _sourceLengths[r])
            {
                throw new ArgumentException($"Row {r} of the column has {column.LengthOf(r)} values; the plan was made for {_sourceLengths[r]}. Every column must have one value per token.", nameof(column));
            }
        }
        if (offsets.Length < Count + 1) throw new ArgumentException($"offsets needs {Count + 1} slots; it has {offsets.Length}.", nameof(offsets));
        if (values.Length < TotalTokens) throw new ArgumentException($"values needs {TotalTokens} slots; it has {values.Length}.", nameof(values));

        int cursor = 0;
        offsets[0] = 0;
        for (int r = 0; r < Count; r++)
        {
            foreach (var segment in SegmentsOf(r))
            {
                column[segment.SourceRow].Slice(segment.Start, segment.Length).CopyTo(values[cursor..]);
                cursor += segment.Length;
                if (segment.Separator) values[cursor++] = separator;
            }
            offsets[r + 1] = cursor;
        }
    }
}
