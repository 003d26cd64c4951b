namespace Parley.Training.Quantization;

/// <summary>
/// Double-quantized NF4 absmax: <c>absmax - Offset</c> stored as 8-bit <see cref="QuantizationMaps.SignedDynamic"/>
/// codes in blocks of <see cref="BlockSize"/> (256), each block with a float32 <see cref="Scales"/> entry.
/// Restored as <c>SignedDynamic[code] * Scales[block] + Offset</c>.
/// </summary>
/// <example>
/// <code>
/// var stored = QuantizedAbsmax.Quantize(absmax);
/// float[] restored = stored.Dequantize();
/// </code>
/// </example>
/// <param name="Codes">One 8-bit code per NF4 block.</param>
/// <param name="Scales">The absmax of each block of 256 centred absmax values (bitsandbytes' <c>state2.absmax</c>).</param>
/// <param name="Offset">The mean of the absmax values, subtracted before quantizing.</param>
/// <param name="BlockSize">Absmax values per scale: 256.</param>
public sealed record QuantizedAbsmax(ReadOnlyMemory<byte> Codes, ReadOnlyMemory<float> Scales, float Offset, int BlockSize = 256)
{
    /// <summary>Quantizes NF4 absmax values as bitsandbytes' <c>compress_statistics=True</c> does.</summary>
    /// <param name="absmax">The float32 absmax of each NF4 block.</param>
    /// <returns>The codes, scales and offset.</returns>
    public static QuantizedAbsmax Quantize(ReadOnlySpan<float> absmax)
    {
        // bitsandbytes subtracts absmax.mean() computed by PyTorch in float32; its summation order decides the last
        // bit, and the offset enters every restored absmax, so Parley reproduces that order rather than a "better" mean.
        var offset = TorchFloatSum.Mean(absmax);
        var centred = new float[absmax.Length];
        for (var i = 0; i < centred.Length; i++)
        {
            centred[i] = absmax[i] - offset;
        }
        var codes = new byte[absmax.Length];
        var scales = Blockwise.Quantize(centred, 256, QuantizationMaps.SignedDynamicArray, codes);
        return new QuantizedAbsmax(codes, scales, offset);
    }

    /// <summary>Restores the float32 absmax values.</summary>
    /// <returns>One absmax per NF4 block.</returns>
    public float[] Dequantize()
    {
        var codes = Codes.Span;
        var scales = Scales.Span;
        var map = QuantizationMaps.SignedDynamicArray;
        var result = new float[codes.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = map[codes[i]] * scales[i / BlockSize] + Offset;
        }
        return result;
    }
}
