namespace Parley.Training.Quantization;

/// <summary>
/// NF4 quantization with bitsandbytes semantics (<c>quant_type="nf4"</c>): absmax per block of
/// <see cref="Nf4Options.BlockSize"/> values, each value mapped to the nearest of the 16
/// <see cref="QuantizationMaps.Nf4"/> levels, two 4-bit codes per byte (high nibble first). With double
/// quantization the block absmax values are stored as 8-bit codes: <c>absmax - mean(absmax)</c> quantized blockwise
/// (256) onto <see cref="QuantizationMaps.SignedDynamic"/>, plus one float32 scale per 256 absmax and the mean.
/// </summary>
/// <example>
/// <code>
/// float[] weight = ...;                                   // a [out, in] matrix, row-major
/// Nf4Tensor q = Nf4Quantizer.Quantize(weight, [out, in]); // blocksize 64, double quantization
/// float[] back = Nf4Quantizer.Dequantize(q);
/// </code>
/// </example>
public static class Nf4Quantizer
{
    /// <summary>Quantizes <paramref name="values"/> (row-major, <paramref name="shape"/>) with the default options.</summary>
    /// <param name="values">The values; every one finite.</param>
    /// <param name="shape">The logical shape; its product must equal the number of values.</param>
    /// <returns>The packed codes and the absmax (plain or double-quantized).</returns>
    public static Nf4Tensor Quantize(ReadOnlySpan<float> values, ReadOnlySpan<long> shape) => Quantize(values, shape, Nf4Options.Default);

    /// <summary>Quantizes <paramref name="values"/> (row-major, <paramref name="shape"/>).</summary>
    /// <param name="values">The values; every one finite.</param>
    /// <param name="shape">The logical shape; its product must equal the number of values.</param>
    /// <param name="options">Block size and whether to double-quantize the absmax.</param>
    /// <returns>The packed codes and the absmax (plain or double-quantized).</returns>
    /// <exception cref="ArgumentException">The shape does not match the values, or a value is NaN or infinite.</exception>
    public static Nf4Tensor Quantize(ReadOnlySpan<float> values, ReadOnlySpan<long> shape, Nf4Options options) =>
        Quantize(values, shape, options, QuantizationMaps.Nf4Array, "nf4");

    /// <summary>Quantizes onto any 16-value code (bitsandbytes' FP4 too: the first nearest code, as its torch backend picks).</summary>
    internal static Nf4Tensor Quantize(ReadOnlySpan<float> values, ReadOnlySpan<long> shape, Nf4Options options, float[] code, string quantType)
    {
        ArgumentNullException.ThrowIfNull(options);
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }
        if (count != values.Length)
        {
            throw new ArgumentException(
                $"shape [{string.Join(", ", shape.ToArray())}] holds {count} values but {values.Length} were given; pass the tensor's own shape.",
                nameof(shape));
        }
        var indices = new byte[values.Length];
        var absmax = Blockwise.Quantize(values, options.BlockSize, code, indices);
        var packed = new byte[(values.Length + 1) / 2];
        for (var i = 0; i < packed.Length; i++)
        {
            var low = 2 * i + 1 < indices.Length ? indices[2 * i + 1] : (byte)0;
            packed[i] = (byte)((indices[2 * i] << 4) | low);
        }
        var stored = options.DoubleQuant ? QuantizedAbsmax.Quantize(absmax) : null;
        return new Nf4Tensor(shape.ToArray(), options.BlockSize, packed, stored is null ? absmax : null, stored, code, quantType);
    }

    /// <summary>Dequantizes to float32: <c>Nf4[code] * absmax[block]</c>, with the absmax first restored from its 8-bit
    /// codes when double-quantized.</summary>
    /// <param name="tensor">A quantized tensor.</param>
    /// <returns>The values, row-major.</returns>
    public static float[] Dequantize(Nf4Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var result = new float[tensor.Length];
        Dequantize(tensor, result);
        return result;
    }

    /// <summary>Dequantizes into <paramref name="destination"/>, which must hold <see cref="Nf4Tensor.Length"/> values.</summary>
    /// <param name="tensor">A quantized tensor.</param>
    /// <param name="destination">Where the values go, row-major.</param>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    public static void Dequantize(Nf4Tensor tensor, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (destination.Length != tensor.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} values but the tensor has {tensor.Length}.", nameof(destination));
        }
        var absmax = tensor.GetAbsmax();
        var code = tensor.CodeArray;
        var packed = tensor.Packed.Span;
        for (var i = 0; i < destination.Length; i++)
        {
            var b = packed[i >> 1];
            var index = (i & 1) == 0 ? b >> 4 : b & 0xF;
            destination[i] = code[index] * absmax[i / tensor.BlockSize];
        }
    }
}
