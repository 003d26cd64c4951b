using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Builds the boolean attention mask <c>[batch, 1, seq, seq]</c> (true = may attend): causal, confined to each packed
/// sequence (a sequence starts wherever <c>position_ids</c> is 0, as in padding-free batches), and hiding padded keys.
/// Every token may attend to itself, so padded rows stay finite.
/// </summary>
/// <example>
/// <code>
/// // two sequences of lengths 3 and 2 packed in one row
/// using var positions = torch.tensor(new long[] { 0, 1, 2, 0, 1 }).unsqueeze(0);
/// using var mask = AttentionMask.Build(positions, paddingMask: null); // token 3 cannot see tokens 0..2
/// </code>
/// </example>
public static class AttentionMask
{
    /// <summary>Builds the mask.</summary>
    /// <param name="positionIds"><c>[batch, seq]</c> int64 positions.</param>
    /// <param name="paddingMask">Optional <c>[batch, seq]</c>, 1 for real tokens and 0 for padding.</param>
    /// <param name="slidingWindow">When set, a query sees only the keys less than this many tokens behind it (itself
    /// included), as in Gemma-3's local layers.</param>
    /// <returns>A bool tensor <c>[batch, 1, seq, seq]</c>.</returns>
    public static Tensor Build(Tensor positionIds, Tensor? paddingMask, int? slidingWindow = null)
    {
        using var scope = NewDisposeScope();
        var length = positionIds.shape[^1];
        var sequence = positionIds.eq(0).to_type(ScalarType.Int64).cumsum(-1);   // which packed sequence each token is in
        var same = sequence.unsqueeze(-1).eq(sequence.unsqueeze(-2));           // [b, s, s]
        var causal = ones(length, length, dtype: ScalarType.Bool, device: positionIds.device).tril();
        if (slidingWindow is int window)
        {
            causal = causal.triu(1 - window); // drop keys window or more tokens back
        }
        var allowed = same.logical_and(causal);
        if (paddingMask is not null)
        {
            allowed = allowed.logical_and(paddingMask.to_type(ScalarType.Bool).unsqueeze(-2));
            allowed = allowed.logical_or(eye(length, dtype: ScalarType.Bool, device: positionIds.device));
        }
        return allowed.unsqueeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Default positions <c>0..seq-1</c> for each row, <c>[batch, seq]</c>.</summary>
    /// <param name="inputIds"><c>[batch, seq]</c> token ids.</param>
    /// <returns>int64 positions on the same device.</returns>
    public static Tensor DefaultPositions(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        return arange(inputIds.shape[^1], dtype: ScalarType.Int64, device: inputIds.device)
            .unsqueeze(0).expand(inputIds.shape[0], -1).contiguous().MoveToOuterDisposeScope();
    }
}
