using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Lora;

/// <summary>
/// Inverted dropout (<c>nn.Dropout</c>'s semantics: each value is zeroed with probability <c>p</c>, the rest are
/// multiplied by <c>1 / (1 - p)</c>) with the mask drawn on the host for float32 CPU tensors. libtorch's CPU
/// <c>bernoulli_</c> draws one 64-bit Mersenne-Twister number per value in a serial loop; with LoRA on all seven
/// projections of the 29.5M Llama (56 masks, 36 M values a step) the forward's dropout took 399 ms of a 2.3 s step that
/// way and 59 ms this way (mask and multiply) in one interleaved run. Here each pair of values costs one SplitMix64
/// output (two 32-bit uniforms), eight values per 256-bit vector step. The stream is seeded by one draw from
/// torch's CPU generator, so <c>manual_seed</c> still makes a run reproducible and activation checkpointing (which
/// restores the generator state for the recompute) replays the same mask. Other devices and dtypes use libtorch's
/// dropout unchanged.
/// </summary>
internal sealed class HostDropout : nn.Module<Tensor, Tensor>
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private readonly double p;

    /// <summary>A dropout layer with probability <paramref name="p"/>, active in training mode only.</summary>
    public HostDropout(double p) : base(nameof(HostDropout))
    {
        this.p = p;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => training && p > 0 ? Apply(input, p) : input.alias();

    /// <summary><c>input * mask</c>, differentiable in <paramref name="input"/> (the backward multiplies by the same mask).</summary>
    public static Tensor Apply(Tensor input, double p)
    {
        if (input.device_type != DeviceType.CPU || input.dtype != ScalarType.Float32 || p <= 0)
        {
            return nn.functional.dropout(input, p, training: true);
        }
        long seed;
        using (var draw = randint(0, long.MaxValue, [1], dtype: ScalarType.Int64))
        {
            seed = draw.item<long>();
        }
        var mask = empty(input.shape, ScalarType.Float32);
        // one thread: at 36 M values a step the fill is a few tens of ms, and worker threads of our own would compete
        // with libtorch's OpenMP workers, which spin between parallel ops
        Fill(MemoryMarshal.Cast<byte, float>(mask.bytes), 0, (ulong)seed, p);
        return input.mul(mask);
    }

    /// <summary>Writes values <paramref name="offset"/>.. (an even offset) of the mask: <c>0</c> with probability
    /// <paramref name="p"/> and <c>1 / (1 - p)</c> otherwise. Value <c>i</c> depends only on the seed and <c>i</c>, so
    /// any split of the mask into pieces gives the same values.</summary>
    internal static void Fill(Span<float> mask, long offset, ulong seed, double p)
    {
        // a value is kept when its 32-bit uniform is at least p · 2³²: P(drop) = p to within 2⁻³²
        var threshold = (uint)Math.Min(Math.Round(p * 4294967296.0), uint.MaxValue);
        // float32, as libtorch divides the 0/1 noise by (1 - p) in the tensor's dtype
        var keep = 1f / (float)(1 - p);
        FillRange(mask, offset, seed, threshold, keep);
    }

    private static void FillRange(Span<float> mask, long offset, ulong seed, uint threshold, float keep)
    {
        // SplitMix64: output k is a bijective mix of seed + (k + 1) · golden; values offset + 2k and offset + 2k + 1
        // take its low and high halves
        var state = seed + (ulong)(offset / 2) * Golden;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && mask.Length >= 8)
        {
            // four generators side by side: lane j holds pair 4k + j, and the little-endian halves of its output are
            // values 8k + 2j and 8k + 2j + 1, so the 256 bits reinterpreted as uints are eight values in order
            var states = Vector256.Create(state + Golden, state + unchecked(2 * Golden), state + unchecked(3 * Golden), state + unchecked(4 * Golden));
            var step = Vector256.Create(unchecked(4 * Golden));
            var limit = Vector256.Create(threshold);
            var kept = Vector256.Create(keep);
            ref var destination = ref MemoryMarshal.GetReference(mask);
            for (; i + 8 <= mask.Length; i += 8)
            {
                var z = states;
                z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
                z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(0x94D049BB133111EBUL);
                z ^= Vector256.ShiftRightLogical(z, 31);
                var keepMask = Vector256.GreaterThanOrEqual(z.AsUInt32(), limit).AsSingle();
                Vector256.StoreUnsafe(kept & keepMask, ref destination, (nuint)i);
                states += step;
            }
            state += (ulong)(i / 2) * Golden;
        }
        for (; i + 1 < mask.Length; i += 2)
        {
            var z = Mix(state += Golden);
            mask[i] = (uint)z >= threshold ? keep : 0f;
            mask[i + 1] = (uint)(z >> 32) >= threshold ? keep : 0f;
        }
        if (i < mask.Length)
        {
            mask[i] = (uint)Mix(state + Golden) >= threshold ? keep : 0f;
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
