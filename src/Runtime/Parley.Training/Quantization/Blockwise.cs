namespace Parley.Training.Quantization;

/// <summary>
/// Absmax blockwise quantization onto a sorted code table, with bitsandbytes' default-backend arithmetic in float32:
/// per block <c>absmax = max |x|</c>, <c>scaled = clamp(x * (1 / absmax), -1, 1)</c>, code = the first index with the
/// smallest <c>|scaled - code[i]|</c>. The last block may be shorter.
/// </summary>
internal static class Blockwise
{
    public static int BlockCount(long length, int blockSize) => checked((int)((length + blockSize - 1) / blockSize));

    /// <summary>Writes one code index per value into <paramref name="indices"/> and returns the absmax of each block.</summary>
    public static float[] Quantize(ReadOnlySpan<float> values, int blockSize, ReadOnlySpan<float> code, Span<byte> indices)
    {
        var absmax = new float[BlockCount(values.Length, blockSize)];
        for (var b = 0; b < absmax.Length; b++)
        {
            var start = b * blockSize;
            var block = values.Slice(start, Math.Min(blockSize, values.Length - start));
            var max = 0f;
            foreach (var v in block)
            {
                var a = MathF.Abs(v);
                if (a > max || float.IsNaN(a))
                {
                    max = a;
                }
            }
            if (!float.IsFinite(max))
            {
                throw new ArgumentException(
                    $"block {b} (values {start}..{start + block.Length - 1}) holds a NaN or infinite value; quantize finite weights only.",
                    nameof(values));
            }
            absmax[b] = max;
            var reciprocal = 1f / max;
            var output = indices.Slice(start, block.Length);
            for (var i = 0; i < block.Length; i++)
            {
                output[i] = Nearest(Math.Clamp(block[i] * reciprocal, -1f, 1f), code);
            }
        }
        return absmax;
    }

    /// <summary>The first index of the smallest <c>|x - code[i]|</c> (float32), as <c>torch.argmin</c> picks it.</summary>
    public static byte Nearest(float x, ReadOnlySpan<float> code)
    {
        var best = 0;
        var bestDistance = float.PositiveInfinity;
        for (var i = 0; i < code.Length; i++)
        {
            var d = MathF.Abs(x - code[i]);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = i;
            }
        }
        return (byte)best;
    }
}
