namespace Parley.Training.Quantization;

/// <summary>
/// The storage of a quantized model: NF4 weights (codes + absmax) and everything else (embeddings, norms, LoRA,
/// biases) at their own dtype sizes.
/// </summary>
/// <example>
/// <code>
/// QuantizationReport report = ModelQuantizer.Quantize(model, Nf4Options.Default);
/// Console.WriteLine($"{report.QuantizedBitsPerParameter:F3} bits/param in NF4 layers, {report.BitsPerParameter:F2} overall");
/// </code>
/// </example>
/// <param name="QuantizedParameters">Weights stored as NF4.</param>
/// <param name="QuantizedBytes">Bytes those weights take (codes, absmax, double-quantization constants).</param>
/// <param name="OtherParameters">Parameters and float buffers not quantized.</param>
/// <param name="OtherBytes">Bytes those take.</param>
public sealed record QuantizationReport(long QuantizedParameters, long QuantizedBytes, long OtherParameters, long OtherBytes)
{
    /// <summary>Bits per weight of the NF4 layers (QLoRA reports about 4.127 with double quantization on large layers).</summary>
    public double QuantizedBitsPerParameter => QuantizedParameters == 0 ? 0 : 8.0 * QuantizedBytes / QuantizedParameters;

    /// <summary>Bits per parameter over the whole model.</summary>
    public double BitsPerParameter => 8.0 * (QuantizedBytes + OtherBytes) / (QuantizedParameters + OtherParameters);

    /// <summary>All bytes.</summary>
    public long TotalBytes => QuantizedBytes + OtherBytes;
}
