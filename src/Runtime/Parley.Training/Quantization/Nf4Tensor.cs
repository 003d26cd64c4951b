namespace Parley.Training.Quantization;

/// <summary>
/// A 4-bit blockwise-quantized tensor — NF4, or bitsandbytes' FP4 when read from a pre-quantized checkpoint: packed
/// 4-bit codes (two per byte, high nibble first; a final odd value leaves the low nibble 0), the 16-value code they
/// index, and the absmax of each block, either as float32 (<see cref="Absmax"/>) or double-quantized
/// (<see cref="QuantizedAbsmax"/>). Made by <see cref="Nf4Quantizer.Quantize(ReadOnlySpan{float}, ReadOnlySpan{long}, Nf4Options)"/>
/// or read by <c>HfModelLoader</c> from a <c>*-bnb-4bit</c> checkpoint.
/// </summary>
/// <example>
/// <code>
/// Nf4Tensor q = Nf4Quantizer.Quantize(weights, [64, 64]);
/// Console.WriteLine($"{q.BitsPerParameter:F3} bits per parameter"); // 4.127 with double quantization
/// </code>
/// </example>
public sealed class Nf4Tensor
{
    internal Nf4Tensor(long[] shape, int blockSize, byte[] packed, float[]? absmax, QuantizedAbsmax? quantizedAbsmax, float[]? code = null, string quantType = "nf4")
    {
        Code = code ?? QuantizationMaps.Nf4Array;
        QuantType = quantType;
        Shape = shape;
        BlockSize = blockSize;
        Packed = packed;
        Absmax = absmax is null ? (ReadOnlyMemory<float>?)null : absmax;
        QuantizedAbsmax = quantizedAbsmax;
        Length = shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>The 16 values the 4-bit codes index (<see cref="QuantizationMaps.Nf4"/> for NF4).</summary>
    public IReadOnlyList<float> Code { get; }

    /// <summary>"nf4" or "fp4" (bitsandbytes' <c>quant_type</c>).</summary>
    public string QuantType { get; }

    internal float[] CodeArray => (float[])Code;

    /// <summary>The logical shape.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of values.</summary>
    public long Length { get; }

    /// <summary>Values per absmax block.</summary>
    public int BlockSize { get; }

    /// <summary>The 4-bit codes, two per byte, high nibble first.</summary>
    public ReadOnlyMemory<byte> Packed { get; }

    /// <summary>The float32 absmax of each block, when not double-quantized; otherwise null.</summary>
    public ReadOnlyMemory<float>? Absmax { get; }

    /// <summary>The double-quantized absmax, when double quantization was on; otherwise null.</summary>
    public QuantizedAbsmax? QuantizedAbsmax { get; }

    /// <summary>The number of absmax blocks.</summary>
    public int BlockCount => Blockwise.BlockCount(Length, BlockSize);

    /// <summary>The bytes this tensor stores: packed codes, absmax (or codes, scales and the offset).</summary>
    public long StorageBytes => Packed.Length + (QuantizedAbsmax is { } q
        ? q.Codes.Length + 4L * q.Scales.Length + 4
        : 4L * BlockCount);

    /// <summary>Storage bits per value: 4.5 for blocksize 64 without, about 4.127 with double quantization.</summary>
    public double BitsPerParameter => 8.0 * StorageBytes / Length;

    /// <summary>The float32 absmax of each block (restored from its 8-bit codes when double-quantized).</summary>
    /// <returns>One absmax per block.</returns>
    public float[] GetAbsmax() => QuantizedAbsmax is { } q ? q.Dequantize() : Absmax!.Value.ToArray();
}
