using Parley.Training;

namespace Parley.Collation;

/// <summary>Hands a collated <see cref="Batch"/> to the trainer.</summary>
/// <example><code>
/// collator.Collate(ids.AsSpan(), batch);
/// TrainingBatch step = batch.ToTrainingBatch();
/// </code></example>
public static class TrainingBatchConversion
{
    /// <summary>
    /// Copies the batch into a <see cref="TrainingBatch"/> (exact-length arrays, as it requires): ids, labels, and the
    /// attention mask of padded batches or the position ids of padding-free ones.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty.</exception>
    public static TrainingBatch ToTrainingBatch(this Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length == 0) throw new ArgumentException("The batch is empty: collate at least one non-empty sequence first.", nameof(batch));
        return new TrainingBatch(batch.InputIds.ToArray(), batch.Labels.ToArray(), batch.Rows, batch.Columns)
        {
            AttentionMask = batch.HasAttentionMask ? batch.AttentionMask.ToArray() : null,
            PositionIds = batch.HasPositionIds ? batch.PositionIds.ToArray() : null,
        };
    }
}
