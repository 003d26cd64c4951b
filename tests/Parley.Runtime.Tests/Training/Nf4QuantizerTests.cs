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
}
