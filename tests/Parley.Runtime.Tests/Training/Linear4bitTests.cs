using Parley.Training;
using Parley.Training.Models;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class Linear4bitTests
{
    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.1f).ToArray();
    }

    [TestCase(true, 64, 64)]
    [TestCase(false, 64, 64)]
    [TestCase(true, 3, 100)]     // ragged last block
    [TestCase(true, 300, 128)]   // more than 256 absmax blocks
    public void Weight_dequantized_on_the_device_equals_the_host_dequantization_bit_for_bit(bool doubleQuant, int rows, int cols)
    {
        var values = RandomValues(rows * cols, 11);
        var q = Nf4Quantizer.Quantize(values, [rows, cols], new Nf4Options { DoubleQuant = doubleQuant });
        using var layer = new Linear4bit(q, device: TrainingDevice.Resolve("cpu"));
        using var w = layer.DequantizeWeight();
        Assert.That(w.shape, Is.EqualTo(new long[] { rows, cols }));
        var onDevice = w.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits);
        var onHost = Nf4Quantizer.Dequantize(q).Select(BitConverter.SingleToUInt32Bits);
        Assert.That(onDevice, Is.EqualTo(onHost));
    }

    [TestCase(true, 64, 64, 64)]
    [TestCase(false, 3, 100, 64)]    // ragged last block
    [TestCase(true, 300, 128, 64)]   // more than 256 absmax blocks
    [TestCase(true, 7, 9, 32)]       // an odd number of values: the last byte holds one
    [TestCase(false, 5, 1000, 256)]
    public void Host_dequantization_equals_the_tensor_path_bit_for_bit(bool doubleQuant, int rows, int cols, int blockSize)
    {
        var q = Nf4Quantizer.Quantize(RandomValues(rows * cols, 17), [rows, cols], new Nf4Options { DoubleQuant = doubleQuant, BlockSize = blockSize });
        using var layer = new Linear4bit(q);
        using var host = layer.DequantizeWeight(ScalarType.Float32);
        using var tensorOps = layer.DequantizeWithTensorOps(ScalarType.Float32);
        Assert.That(host.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(tensorOps.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits)));
        using var bf16 = layer.DequantizeWeight(ScalarType.BFloat16);
        using var bf16Ops = layer.DequantizeWithTensorOps(ScalarType.BFloat16);
        Assert.That(bf16.dtype, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(bf16.equal(bf16Ops).all().item<bool>(), Is.True);
    }

    [TestCase(ScalarType.Float32)]
    [TestCase(ScalarType.BFloat16)]
    public void Forward_multiplies_by_the_dequantized_weight_in_the_compute_dtype(ScalarType dtype)
    {
        manual_seed(3);
        using var dense = nn.Linear(64, 32, hasBias: true);
        using var layer = Linear4bit.FromLinear(dense, Nf4Options.Default, dtype);
        using var x = randn(2, 5, 64);
        using var y = layer.call(x);
        using var w = layer.DequantizeWeight(ScalarType.Float32);
        using var expected = nn.functional.linear(x.to_type(dtype), w.to_type(dtype), dense.bias!.to_type(dtype));
        Assert.That(y.dtype, Is.EqualTo(dtype));
        Assert.That(y.allclose(expected), Is.True);
        Assert.That(layer.parameters().Select(p => p.numel()).Sum(), Is.EqualTo(32), "only the bias is a parameter");
    }

    [Test]
    public void Converting_the_dtype_keeps_the_packed_weight_and_changes_the_compute_dtype()
    {
        var q = Nf4Quantizer.Quantize(RandomValues(64 * 64, 5), [64, 64]);
        using var layer = new Linear4bit(q);
        layer.to(ScalarType.BFloat16);
        Assert.That(layer.ComputeDType, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(layer.named_buffers().Single(b => b.name == "weight_packed").buffer.dtype, Is.EqualTo(ScalarType.Byte));
        using var w = layer.DequantizeWeight();
        Assert.That(w.dtype, Is.EqualTo(ScalarType.BFloat16));
    }

    [Test]
    public void Quantized_stories260K_stays_close_to_float_and_reports_bits_per_parameter()
    {
        using var reference = Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"));
        using var model = Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"));
        var report = ModelQuantizer.Quantize(model, Nf4Options.Default);
        var plain = ModelQuantizer.Report(reference);
        TestContext.Out.WriteLine($"stories260K: {report.QuantizedBitsPerParameter:F4} bits/param in NF4 layers, {report.BitsPerParameter:F3} overall, {report.TotalBytes} bytes vs {plain.TotalBytes} in fp32");

        // 5 layers x (q 64x64 + k 32x64 + v 32x64 + o 64x64 + 3 x 172x64) = 226,560 NF4 weights
        Assert.That(report.QuantizedParameters, Is.EqualTo(226_560));
        Assert.That(report.QuantizedBitsPerParameter, Is.InRange(4.12, 4.16), "tiny layers pay a little more for their double-quantization constants");
        Assert.That(plain.QuantizedParameters, Is.Zero);
        Assert.That(report.TotalBytes, Is.LessThan(plain.TotalBytes / 3));

        using var noGrad = no_grad();
        using var ids = tensor(new long[] { 1, 403, 407, 261, 378, 432 }, [1, 6]);
        using var a = reference.call(ids, null, null).softmax(-1);
        using var b = model.call(ids, null, null).softmax(-1);
        Assert.That(a.argmax(-1).data<long>().ToArray(), Is.EqualTo(b.argmax(-1).data<long>().ToArray()));
    }
}
