using System.Numerics;
using System.Runtime.Intrinsics;

namespace Parley.Training.Quantization;

/// <summary>
/// PyTorch's CPU float32 <c>sum</c> and <c>mean</c> of a contiguous 1-D tensor, reproduced bit for bit: the cascade
/// summation of <c>aten/src/ATen/native/cpu/SumKernel.cpp</c> over 8-float vectors (the AVX2 kernels), four vectors
/// accumulated side by side, partial sums folded every 16 rows into a 4-level cascade, then the scalar tail and the 8
/// lanes added in order; <c>mean</c> divides the float32 sum by the count (<c>sum_out(...).div_(n)</c> on the CPU).
/// bitsandbytes takes <c>absmax.mean()</c> as the double-quantization offset, and a different rounding of that one
/// number changes every absmax scale, so the order matters. Single-threaded order: PyTorch splits sums of 32768 or
/// more values across threads, which depends on the thread count.
/// </summary>
internal static class TorchFloatSum
{
    private const int Lanes = 8;      // Vectorized<float>::size() with AVX2
    private const int RowsAtOnce = 4; // row_sum's ilp_factor
    private const int Levels = 4;     // multi_row_sum's num_levels

    /// <summary><c>torch.tensor(values).mean()</c> as a float32.</summary>
    public static float Mean(ReadOnlySpan<float> values) => Sum(values) / values.Length;

    /// <summary><c>torch.tensor(values).sum()</c> as a float32.</summary>
    public static float Sum(ReadOnlySpan<float> values)
    {
        if (values.Length < Lanes)
        {
            return RowSum<float, ScalarOps>(values, values.Length);
        }
        var vectors = values.Length / Lanes;
        var lanes = RowSum<Vector256<float>, VectorOps>(values, vectors);
        var total = 0f;
        for (var k = vectors * Lanes; k < values.Length; k++)
        {
            total += values[k];
        }
        for (var k = 0; k < Lanes; k++)
        {
            total += lanes[k];
        }
        return total;
    }

    private interface IOps<T>
    {
        static abstract T Load(ReadOnlySpan<float> values, int index);

        static abstract T Add(T a, T b);
    }

    private struct ScalarOps : IOps<float>
    {
        public static float Load(ReadOnlySpan<float> values, int index) => values[index];

        public static float Add(float a, float b) => a + b;
    }

    private struct VectorOps : IOps<Vector256<float>>
    {
        public static Vector256<float> Load(ReadOnlySpan<float> values, int index) => Vector256.Create(values.Slice(index * Lanes, Lanes));

        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    }

    /// <summary>row_sum: the <paramref name="count"/> items seen as rows of 4, summed per column by the cascade, then the
    /// leftover items into column 0, then columns 1..3 into column 0.</summary>
    private static T RowSum<T, TOps>(ReadOnlySpan<float> values, int count)
        where T : unmanaged
        where TOps : IOps<T>
    {
        var rows = count / RowsAtOnce;
        Span<T> acc = stackalloc T[Levels * RowsAtOnce]; // acc[level * 4 + column], all zero
        var levelPower = Math.Max(4, CeilLog2(rows) / Levels);
        var levelStep = 1 << levelPower;
        var levelMask = levelStep - 1;
        var i = 0;
        while (i + levelStep <= rows)
        {
            for (var j = 0; j < levelStep; j++, i++)
            {
                for (var k = 0; k < RowsAtOnce; k++)
                {
                    acc[k] = TOps.Add(acc[k], TOps.Load(values, i * RowsAtOnce + k));
                }
            }
            for (var j = 1; j < Levels; j++)
            {
                for (var k = 0; k < RowsAtOnce; k++)
                {
                    acc[j * RowsAtOnce + k] = TOps.Add(acc[j * RowsAtOnce + k], acc[(j - 1) * RowsAtOnce + k]);
                    acc[(j - 1) * RowsAtOnce + k] = default;
                }
                if ((i & (levelMask << (j * levelPower))) != 0)
                {
                    break;
                }
            }
        }
        for (; i < rows; i++)
        {
            for (var k = 0; k < RowsAtOnce; k++)
            {
                acc[k] = TOps.Add(acc[k], TOps.Load(values, i * RowsAtOnce + k));
            }
        }
        for (var j = 1; j < Levels; j++)
        {
            for (var k = 0; k < RowsAtOnce; k++)
            {
                acc[k] = TOps.Add(acc[k], acc[j * RowsAtOnce + k]);
            }
        }
        for (var item = rows * RowsAtOnce; item < count; item++)
        {
            acc[0] = TOps.Add(acc[0], TOps.Load(values, item));
        }
        for (var k = 1; k < RowsAtOnce; k++)
        {
            acc[0] = TOps.Add(acc[0], acc[k]);
        }
        return acc[0];
    }

    /// <summary>ATen's CeilLog2: 1 up to 2, else ⌈log2 x⌉.</summary>
    private static int CeilLog2(int x) => x <= 2 ? 1 : 32 - BitOperations.LeadingZeroCount((uint)(x - 1));
}
