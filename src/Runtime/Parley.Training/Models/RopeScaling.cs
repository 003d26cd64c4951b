using System.Text.Json;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// A config's <c>rope_scaling</c>: how the rotary inverse frequencies are stretched for a longer context. Two kinds
/// are read — <c>"linear"</c> (every frequency divided by <see cref="Factor"/>, Gemma-3's global layers) and
/// <c>"llama3"</c> (Llama 3.1/3.2: low frequencies divided by <see cref="Factor"/>, high ones kept, the band between
/// interpolated smoothly); both leave the attention scale at 1.
/// </summary>
/// <example>
/// <code>
/// var scaling = new RopeScaling("llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192);
/// using var invFreq = scaling.Apply(RopeScaling.DefaultInverseFrequencies(headDim: 64, theta: 500000));
/// </code>
/// </example>
/// <param name="Type">"linear" or "llama3".</param>
/// <param name="Factor">The context stretch.</param>
/// <param name="LowFreqFactor">llama3: wavelengths beyond <c>original / LowFreqFactor</c> are divided by the factor.</param>
/// <param name="HighFreqFactor">llama3: wavelengths below <c>original / HighFreqFactor</c> are kept.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3: the context the model was pre-trained with.</param>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositionEmbeddings = 8192)
{
    /// <summary><c>1 / theta^(2i/headDim)</c> for <c>i &lt; headDim/2</c>, in float32 as transformers computes it.</summary>
    /// <param name="headDim">Width of one head (even).</param>
    /// <param name="theta">The RoPE base.</param>
    /// <returns>A float32 tensor <c>[headDim / 2]</c> on the CPU.</returns>
    public static Tensor DefaultInverseFrequencies(int headDim, double theta)
    {
        using var scope = NewDisposeScope();
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32) / headDim;
        return pow(theta, exponents).reciprocal().MoveToOuterDisposeScope();
    }

    /// <summary>Applies the scaling to default inverse frequencies (float32 ops in transformers' order).</summary>
    /// <param name="invFreq">From <see cref="DefaultInverseFrequencies"/>.</param>
    /// <returns>The scaled frequencies (a new tensor).</returns>
    public Tensor Apply(Tensor invFreq)
    {
        ArgumentNullException.ThrowIfNull(invFreq);
        using var scope = NewDisposeScope();
        if (Type == "linear")
        {
            return (invFreq / Factor).MoveToOuterDisposeScope();
        }
        double old = OriginalMaxPositionEmbeddings;
        var lowWavelen = old / LowFreqFactor;
        var highWavelen = old / HighFreqFactor;
        var wavelen = invFreq.reciprocal() * (2 * Math.PI);
        var scaled = where(wavelen.gt(lowWavelen), invFreq / Factor, invFreq);
        var smooth = (wavelen.reciprocal() * old - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
        var smoothed = (1 - smooth) * scaled / Factor + smooth * scaled;
        var medium = wavelen.lt(highWavelen).logical_not().logical_and(wavelen.gt(lowWavelen).logical_not());
        return where(medium, smoothed, scaled).MoveToOuterDisposeScope();
    }

    /// <summary>Reads a config's <c>rope_scaling</c> object (null, or <c>rope_type</c> "default", means none).</summary>
    /// <param name="element">The JSON value of <c>rope_scaling</c>.</param>
    /// <returns>The scaling, or null when the frequencies are unscaled.</returns>
    /// <exception cref="FormatException">An unsupported kind (yarn, dynamic, longrope …) or a missing field.</exception>
    public static RopeScaling? FromJson(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("config.json: rope_scaling must be an object or null.");
        }
        var type = element.TryGetProperty("rope_type", out var t) ? t.GetString()
            : element.TryGetProperty("type", out var legacy) ? legacy.GetString() : null;
        double Number(string name) => element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : throw new FormatException($"config.json: rope_scaling (rope_type \"{type}\") needs the number \"{name}\".");
        return type switch
        {
            "default" => null,
            "linear" => new RopeScaling("linear", Number("factor")),
            "llama3" => new RopeScaling("llama3", Number("factor"), Number("low_freq_factor"), Number("high_freq_factor"), (int)Number("original_max_position_embeddings")),
            _ => throw new FormatException($"config.json: rope_scaling rope_type \"{type}\" is not supported; Parley reads \"linear\" and \"llama3\" (use a checkpoint without yarn/dynamic/longrope scaling)."),
        };
    }
}
