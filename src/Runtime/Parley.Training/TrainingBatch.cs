namespace Parley.Training;

/// <summary>
/// One batch as the collators produce it: flat row-major int64 buffers and a shape. Padded batches carry an attention
/// mask; padding-free (packed) batches carry position ids that restart at 0 for each sequence.
/// </summary>
/// <example>
/// <code>
/// var batch = new TrainingBatch(inputIds, labels, rows: 2, columns: 16) { AttentionMask = mask };
/// var packed = new TrainingBatch(ids, labels, 1, ids.Length) { PositionIds = positions };
/// </code>
/// </example>
public sealed record TrainingBatch
{
    /// <summary>Creates a batch.</summary>
    /// <param name="inputIds">Token ids, <c>rows * columns</c>.</param>
    /// <param name="labels">Target ids (-100 = ignored), same length; the model shifts them itself.</param>
    /// <param name="rows">Batch size.</param>
    /// <param name="columns">Sequence length.</param>
    /// <exception cref="ArgumentException">A buffer's length is not <c>rows * columns</c>.</exception>
    public TrainingBatch(long[] inputIds, long[] labels, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows <= 0 || columns <= 0 || inputIds.Length != (long)rows * columns || labels.Length != inputIds.Length)
        {
            throw new ArgumentException(
                $"a {rows}x{columns} batch needs {rows * columns} input ids and labels; got {inputIds.Length} and {labels.Length}.");
        }
        InputIds = inputIds;
        Labels = labels;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Token ids, row-major.</summary>
    public long[] InputIds { get; }

    /// <summary>Labels, row-major; -100 where no loss is taken.</summary>
    public long[] Labels { get; }

    /// <summary>Batch size.</summary>
    public int Rows { get; }

    /// <summary>Sequence length.</summary>
    public int Columns { get; }

    /// <summary>Position ids for padding-free batches (restarting at 0 per sequence), or null.</summary>
    public long[]? PositionIds { get; init; }

    /// <summary>1 for tokens, 0 for padding, or null when nothing is padded.</summary>
    public long[]? AttentionMask { get; init; }

    /// <summary>Tokens whose (shifted) label is not ignored.</summary>
    public int TrainableTokens
    {
        get
        {
            var count = 0;
            for (var r = 0; r < Rows; r++)
            {
                for (var c = 1; c < Columns; c++)
                {
                    var i = r * Columns + c;
                    if (Labels[i] != -100 && (PositionIds is null || PositionIds[i] != 0))
                    {
                        count++;
                    }
                }
            }
            return count;
        }
    }
}
