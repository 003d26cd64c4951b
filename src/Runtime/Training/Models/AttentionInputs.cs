using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>What every attention layer of one forward pass shares: rotary angles and the attention mask.</summary>
/// <example>
/// <code>
/// var inputs = new AttentionInputs(cos, sin, AttentionMask.Build(positionIds, null));
/// </code>
/// </example>
/// <param name="Cos">Rotary cosines <c>[batch, seq, headDim]</c>.</param>
/// <param name="Sin">Rotary sines <c>[batch, seq, headDim]</c>.</param>
/// <param name="Mask">Boolean mask <c>[batch, 1, seq, seq]</c>, true where attention is allowed.</param>
public sealed record AttentionInputs(Tensor Cos, Tensor Sin, Tensor Mask);
