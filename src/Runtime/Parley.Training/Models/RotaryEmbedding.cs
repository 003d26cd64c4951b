using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Rotary position embeddings in the Hugging Face layout (<c>rotate_half</c>: the first half of each head pairs with
/// the second half). Angles come from <c>position_ids</c>, so packed rows restart at 0 for each sequence.
/// </summary>
/// <example>
/// <code>
/// var rope = new RotaryEmbedding(headDim: 8, theta: 10000);
/// var (cos, sin) = rope.Angles(positionIds, ScalarType.Float32);  // [batch, seq, headDim]
/// var q2 = RotaryEmbedding.Apply(q, cos, sin);                      // q: [batch, heads, seq, headDim]
/// </code>
/// </example>
/// <param name="headDim">Width of one head (even).</param>
/// <param name="theta">The RoPE base.</param>
/// <param name="scaling">The config's <c>rope_scaling</c> (linear or llama3), or null.</param>
public sealed class RotaryEmbedding(int headDim, double theta, RopeScaling? scaling = null)
{
    // computed once: the frequencies depend only on the config, and the llama3 adjustment is a dozen small ops
    private readonly float[] inverseFrequencies = InverseFrequencies(headDim, theta, scaling);

    private static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        using var scope = NewDisposeScope();
        var freqs = RopeScaling.DefaultInverseFrequencies(headDim, theta);
        return (scaling is null ? freqs : scaling.Apply(freqs)).data<float>().ToArray();
    }

    /// <summary>The inverse frequencies <c>[headDim / 2]</c> after any scaling, as float32 values.</summary>
    public IReadOnlyList<float> InverseFrequencyValues => inverseFrequencies;

    /// <summary>Cosine and sine of each position's angles, <c>[batch, seq, headDim]</c>, in <paramref name="dtype"/>.</summary>
    /// <param name="positionIds">Positions, <c>[batch, seq]</c> int64.</param>
    /// <param name="dtype">The compute dtype of the attention.</param>
    /// <returns>(cos, sin).</returns>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var invFreq = tensor(inverseFrequencies, device: positionIds.device);           // [headDim/2]
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * invFreq; // [b, s, headDim/2]
        var emb = cat([freqs, freqs], -1);
        return (emb.cos().to_type(dtype).MoveToOuterDisposeScope(), emb.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> <c>[batch, heads, seq, headDim]</c> by the angles, in the dtype of
    /// <paramref name="x"/>.</summary>
    /// <param name="x">Queries or keys.</param>
    /// <param name="cos">From <see cref="Angles"/>.</param>
    /// <param name="sin">From <see cref="Angles"/>.</param>
    /// <returns>The rotated tensor.</returns>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        var c = cos.dtype == x.dtype ? cos : cos.to_type(x.dtype);
        var s = sin.dtype == x.dtype ? sin : sin.to_type(x.dtype);
        return (x * c.unsqueeze(1) + rotated * s.unsqueeze(1)).MoveToOuterDisposeScope();
    }
}
