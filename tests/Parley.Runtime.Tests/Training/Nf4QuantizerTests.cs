using System.Text.Json;
using Parley.Training.Quantization;

namespace Parley.Runtime.Tests.Training;

public class Nf4QuantizerTests
{
    private static JsonElement LoadCases()
    {
        using var stream = File.OpenRead(Fixtures.Path("reference", "nf4-cases.json"));
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();

    private static byte[] Bytes(JsonElement e) => e.EnumerateArray().Select(x => x.GetByte()).ToArray();

    private static uint[] Bits(IEnumerable<float> values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();

    public static IEnumerable<string> CaseNames()
    {
        // Names are listed without reading the file at discovery time only when fixtures exist.
        var path = Path.Combine(FixturesRootForDiscovery(), "reference", "nf4-cases.json");
        if (!File.Exists(path))
        {
            yield return "(fixtures missing)";
            yield break;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            yield return c.GetProperty("name").GetString()!;
        }
    }

    private static string FixturesRootForDiscovery()
    {
        try
        {
            return Fixtures.Root;
        }
        catch (Exception)
        {
            return "";
        }
    }

    [Test]
    public void Codebooks_equal_the_reference_tables_bit_for_bit()
    {
        var root = LoadCases();
        Assert.That(Bits(QuantizationMaps.Nf4), Is.EqualTo(Bits(Floats(root.GetProperty("nf4_code")))));
        Assert.That(Bits(QuantizationMaps.SignedDynamic), Is.EqualTo(Bits(Floats(root.GetProperty("dynamic_map")))));
    }

    [TestCaseSource(nameof(CaseNames))]
    public void Quantize_and_dequantize_are_bit_exact(string name)
    {
        var root = LoadCases();
        var found = root.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("name").GetString() == name).ToList();
        if (found.Count == 0)
        {
            Assert.Ignore($"case not found: {name}");
        }
        var c = found[0];
        var shape = c.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var options = new Nf4Options { BlockSize = c.GetProperty("blocksize").GetInt32(), DoubleQuant = c.GetProperty("double_quant").GetBoolean() };

        var q = Nf4Quantizer.Quantize(Floats(c.GetProperty("input")), shape, options);

        Assert.That(q.Packed.ToArray(), Is.EqualTo(Bytes(c.GetProperty("packed"))), "packed codes");
        if (options.DoubleQuant)
        {
            Assert.That(q.Absmax, Is.Null);
            var dq = q.QuantizedAbsmax!;
            Assert.That(BitConverter.SingleToUInt32Bits(dq.Offset), Is.EqualTo(BitConverter.SingleToUInt32Bits((float)c.GetProperty("offset").GetDouble())), "offset");
            Assert.That(dq.Codes.ToArray(), Is.EqualTo(Bytes(c.GetProperty("absmax_q8"))), "quantized absmax");
            Assert.That(Bits(dq.Scales.ToArray()), Is.EqualTo(Bits(Floats(c.GetProperty("absmax2")))), "absmax2");
            Assert.That(Bits(q.GetAbsmax()), Is.EqualTo(Bits(Floats(c.GetProperty("absmax_dequantized")))), "dequantized absmax");
        }
        else
        {
            Assert.That(Bits(q.Absmax!.Value.ToArray()), Is.EqualTo(Bits(Floats(c.GetProperty("absmax")))), "absmax");
        }
        Assert.That(Bits(Nf4Quantizer.Dequantize(q)), Is.EqualTo(Bits(Floats(c.GetProperty("dequantized")))), "dequantized values");
    }

    [Test]
    public void Bits_per_parameter_is_4_5_plain_and_under_4_13_with_double_quantization()
    {
        var values = new float[4096 * 64];
        var random = new Random(7);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }
        var plain = Nf4Quantizer.Quantize(values, [4096, 64], new Nf4Options { DoubleQuant = false });
        var dq = Nf4Quantizer.Quantize(values, [4096, 64]);
        Assert.That(plain.BitsPerParameter, Is.EqualTo(4.5));
        Assert.That(dq.BitsPerParameter, Is.LessThanOrEqualTo(4.13).And.GreaterThan(4.12));
    }

    [Test]
    public void Odd_lengths_pad_the_last_low_nibble_with_zero()
    {
        var q = Nf4Quantizer.Quantize([1f, -1f, 1f], [3], new Nf4Options { DoubleQuant = false });
        Assert.That(q.Packed.ToArray(), Is.EqualTo(new byte[] { 0xF0, 0xF0 }));
        Assert.That(Nf4Quantizer.Dequantize(q), Is.EqualTo(new[] { 1f, -1f, 1f }));
    }

    [Test]
    public void Bad_input_says_what_is_wrong()
    {
        Assert.That(() => new Nf4Options { BlockSize = 48 }, Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("power of two"));
        Assert.That(() => Nf4Quantizer.Quantize([1f, 2f], [3]), Throws.ArgumentException.With.Message.Contains("shape [3]"));
        Assert.That(() => Nf4Quantizer.Quantize([1f, float.NaN], [2]), Throws.ArgumentException.With.Message.Contains("block 0"));
    }

    /// <summary>The input of <c>benchmarks/peers/nf4_reference.py</c>: an integer LCG scaled per row, exact in float32.</summary>
    internal static float[] LcgWeight(int rows, int cols, uint seed)
    {
        var x = seed;
        var values = new float[rows * cols];
        for (var i = 0; i < values.Length; i++)
        {
            x = unchecked(x * 1664525u + 1013904223u);
            var u = (float)((x >> 8) / 16777216.0 - 0.5);
            values[i] = u * (float)(0.01 * (1 + i / cols % 7));
        }
        return values;
    }

    private static JsonElement DoubleQuantCase()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Training", "Data", "nf4-double-quant-128x300.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    [Test]
    public void Float32_sums_follow_PyTorchs_cascade_order_bit_for_bit()
    {
        var weight = LcgWeight(128, 300, 20261130);
        foreach (var sum in DoubleQuantCase().GetProperty("prefix_sums").EnumerateObject())
        {
            var n = int.Parse(sum.Name, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(BitConverter.SingleToUInt32Bits(TorchFloatSum.Sum(weight.AsSpan(0, n))),
                Is.EqualTo(BitConverter.SingleToUInt32Bits((float)sum.Value.GetDouble())), $"sum of the first {n} values");
        }
    }

    [Test]
    public void Double_quant_over_600_blocks_takes_the_offset_PyTorch_computes()
    {
        var expected = DoubleQuantCase();
        var q = Nf4Quantizer.Quantize(LcgWeight(128, 300, 20261130), [128, 300]).QuantizedAbsmax!;
        var torchMean = (float)expected.GetProperty("offset_float32_mean").GetDouble();
        var doubleMean = (float)expected.GetProperty("offset_double_rounded_once").GetDouble();
        Assert.That(torchMean, Is.Not.EqualTo(doubleMean), "the case must tell the two means apart");
        Assert.That(BitConverter.SingleToUInt32Bits(q.Offset), Is.EqualTo(BitConverter.SingleToUInt32Bits(torchMean)));
        Assert.That(q.Codes.ToArray(), Is.EqualTo(Bytes(expected.GetProperty("absmax_codes"))));
        Assert.That(Bits(q.Scales.ToArray()), Is.EqualTo(Bits(Floats(expected.GetProperty("absmax_scales")))));
    }
}
