using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// What every attention layer of one forward pass shares: the attention mask and, for rotary models, the angles
/// (null for models with learned absolute positions such as OPT).
/// </summary>
/// <example>
/// <code>
/// var llama = new AttentionInputs(cos, sin, AttentionMask.Build(positionIds, null));
/// var opt = new AttentionInputs(null, null, AttentionMask.Build(positionIds, paddingMask));
/// </code>
/// </example>
/// <param name="Cos">Rotary cosines <c>[batch, seq, headDim]</c>, or null.</param>
/// <param name="Sin">Rotary sines <c>[batch, seq, headDim]</c>, or null.</param>
/// <param name="Mask">Boolean mask <c>[batch, 1, seq, seq]</c>, true where attention is allowed; null for plain causal
/// attention (no padding, one sequence per row), which the attention kernel then runs as causal without reading a mask
/// and without computing the blocks above the diagonal.</param>
public sealed record AttentionInputs(Tensor? Cos, Tensor? Sin, Tensor? Mask)
{
    /// <summary>
    /// New handles on the same storage that no <c>DisposeScope</c> owns, for a layer that runs again after the
    /// forward's scope has ended (activation checkpointing); the caller disposes them with <see cref="Release"/>.
    /// </summary>
    internal AttentionInputs Retain() =>
        new(Cos?.alias().DetachFromDisposeScope(), Sin?.alias().DetachFromDisposeScope(), Mask?.alias().DetachFromDisposeScope());

    /// <summary>Disposes handles made by <see cref="Retain"/>.</summary>
    internal void Release()
    {
        Cos?.Dispose();
        Sin?.Dispose();
        Mask?.Dispose();
    }
}
