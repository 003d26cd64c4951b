using static TorchSharp.torch;

namespace Parley.Training;

/// <summary>
/// The causal-LM loss with label shifting (the seed's "Label Shifting"): the logits at position <c>t</c> are scored
/// against the label at <c>t + 1</c>, cross-entropy averaged over labels that are not -100. In padding-free batches a
/// label at a sequence start (position id 0) is ignored too, so no sequence learns from the one packed before it.
/// </summary>
/// <example>
/// <code>
/// using var loss = CausalLmLoss.Compute(logits, labels, positionIds: null);
/// </code>
/// </example>
public static class CausalLmLoss
{
    /// <summary>The ignored label.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Computes the mean loss.</summary>
    /// <param name="logits"><c>[batch, seq, vocab]</c>.</param>
    /// <param name="labels"><c>[batch, seq]</c> int64, unshifted.</param>
    /// <param name="positionIds"><c>[batch, seq]</c> for packed batches, or null.</param>
    /// <returns>A scalar (NaN when no label counts).</returns>
    public static Tensor Compute(Tensor logits, Tensor labels, Tensor? positionIds)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        var length = logits.shape[1];
        var shiftedLogits = logits.narrow(1, 0, length - 1);
        var shiftedLabels = labels.narrow(1, 1, length - 1);
        if (positionIds is not null)
        {
            shiftedLabels = shiftedLabels.masked_fill(positionIds.narrow(1, 1, length - 1).eq(0), IgnoreIndex);
        }
        var loss = nn.functional.cross_entropy(
            shiftedLogits.reshape(-1, logits.shape[2]).to_type(ScalarType.Float32),
            shiftedLabels.reshape(-1),
            ignore_index: IgnoreIndex);
        return loss.MoveToOuterDisposeScope();
    }
}
