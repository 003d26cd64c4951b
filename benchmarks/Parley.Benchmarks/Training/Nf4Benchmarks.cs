using BenchmarkDotNet.Attributes;
using Parley.Training.Quantization;

namespace Parley.Benchmarks.Training;

/// <summary>NF4 quantization and dequantization of a 1024 x 1024 float32 matrix on the host (one core).</summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
[MemoryDiagnoser]
public class Nf4Benchmarks
{
    private float[] values = [];
    private Nf4Tensor? quantized;

    [Params(false, true)]
    public bool DoubleQuant { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        values = Enumerable.Range(0, 1024 * 1024).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray();
        quantized = Nf4Quantizer.Quantize(values, [1024, 1024], new Nf4Options { DoubleQuant = DoubleQuant });
    }

    [Benchmark]
    public Nf4Tensor Quantize() => Nf4Quantizer.Quantize(values, [1024, 1024], new Nf4Options { DoubleQuant = DoubleQuant });

    [Benchmark]
    public float[] Dequantize() => Nf4Quantizer.Dequantize(quantized!);
}
