using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Parley.Training.Quantization;

/// <summary>
/// Reads the 4-bit weights of a checkpoint saved by transformers from a bitsandbytes-quantized model (the
/// <c>*-bnb-4bit</c> repositories): for a projection <c>P</c>, <c>P.weight</c> (packed uint8), <c>P.weight.absmax</c>,
/// <c>P.weight.quant_map</c>, with double quantization <c>P.weight.nested_absmax</c> and
/// <c>P.weight.nested_quant_map</c>, and the JSON <c>P.weight.quant_state.bitsandbytes__nf4</c> (or <c>__fp4</c>)
/// holding blocksize, shape and the nested offset. The parts may lie in different shards; they are gathered, then
/// turned into an <see cref="Nf4Tensor"/> without re-quantizing.
/// </summary>
internal sealed class BitsAndBytesCheckpoint
{
    private const string StateMarker = ".weight.quant_state.bitsandbytes__";
    private readonly HashSet<string> prefixes;
    private readonly Dictionary<string, Tensor> parts = [];

    private BitsAndBytesCheckpoint(HashSet<string> prefixes) => this.prefixes = prefixes;

    /// <summary>The module paths whose weight is stored quantized (<c>model.layers.0.self_attn.q_proj</c> …).</summary>
    public IReadOnlyCollection<string> Prefixes => prefixes;

    /// <summary>Checks a config's <c>quantization_config</c>: none, or bitsandbytes 4-bit; anything else is refused.</summary>
    /// <exception cref="FormatException">Another quantization method, or 8-bit bitsandbytes.</exception>
    public static void CheckConfig(string configText, string configPath)
    {
        using var doc = JsonDocument.Parse(configText);
        if (!doc.RootElement.TryGetProperty("quantization_config", out var q) || q.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        var method = q.TryGetProperty("quant_method", out var m) ? m.GetString() : null;
        if (method != "bitsandbytes")
        {
            throw new FormatException($"{configPath}: quantization_config.quant_method \"{method}\" is not supported; Parley reads bitsandbytes 4-bit (NF4/FP4) checkpoints and unquantized safetensors — use the model's float16/bfloat16 release.");
        }
        if (q.TryGetProperty("load_in_8bit", out var eight) && eight.ValueKind == JsonValueKind.True)
        {
            throw new FormatException($"{configPath}: quantization_config.load_in_8bit is true; 8-bit bitsandbytes (LLM.int8) weights are not supported — use a 4-bit (bnb-4bit) or an unquantized checkpoint.");
        }
    }

    /// <summary>Finds the quantized projections from the files' headers (no tensor data is read).</summary>
    public static BitsAndBytesCheckpoint Scan(IEnumerable<string> files)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var entry in SafeTensorsFile.ReadHeader(file).Entries)
            {
                var at = entry.Name.IndexOf(StateMarker, StringComparison.Ordinal);
                if (at > 0)
                {
                    found.Add(entry.Name[..at]);
                }
            }
        }
        return new BitsAndBytesCheckpoint(found);
    }

    /// <summary>Keeps (a copy of) <paramref name="value"/> when it is part of a quantized weight.</summary>
    /// <returns>True when the tensor belongs to a quantized weight (and must not be assigned as a parameter).</returns>
    public bool TryTake(string name, Tensor value)
    {
        if (prefixes.Count == 0)
        {
            return false;
        }
        var at = name.IndexOf(".weight", StringComparison.Ordinal);
        if (at <= 0 || !prefixes.Contains(name[..at]))
        {
            return false;
        }
        if (parts.Remove(name, out var previous))
        {
            previous.Dispose();
        }
        parts[name] = value.clone();
        return true;
    }

    /// <summary>Builds the quantized weight of <paramref name="prefix"/> from its gathered parts.</summary>
    /// <exception cref="InvalidDataException">A part is missing, mis-shaped or inconsistent with the quant state.</exception>
    public Nf4Tensor Build(string prefix, IReadOnlyList<long> expectedShape, string source)
    {
        Tensor Part(string suffix) => parts.TryGetValue(prefix + ".weight" + suffix, out var t) ? t
            : throw new InvalidDataException($"{source}: \"{prefix}.weight{suffix}\" is missing; a bitsandbytes 4-bit weight needs its packed data, absmax, quant_map and quant_state.");
        var stateName = parts.Keys.FirstOrDefault(k => k.StartsWith(prefix + StateMarker, StringComparison.Ordinal))
            ?? throw new InvalidDataException($"{source}: no quant_state for \"{prefix}.weight\".");
        var quantType = stateName[(prefix + StateMarker).Length..];
        if (quantType is not ("nf4" or "fp4"))
        {
            throw new InvalidDataException($"{source}: \"{stateName}\": quant_type \"{quantType}\" is not supported; bitsandbytes 4-bit is nf4 or fp4.");
        }
        using var state = JsonDocument.Parse(Encoding.UTF8.GetString(Part(stateName[(prefix + ".weight").Length..]).data<byte>().ToArray()));
        var root = state.RootElement;
        int Int(string field) => root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32()
            : throw new InvalidDataException($"{source}: \"{stateName}\" has no number \"{field}\".");
        var blockSize = Int("blocksize");
        var shape = root.TryGetProperty("shape", out var s) ? s.EnumerateArray().Select(d => d.GetInt64()).ToArray()
            : throw new InvalidDataException($"{source}: \"{stateName}\" has no \"shape\".");
        if (!shape.SequenceEqual(expectedShape))
        {
            throw new InvalidDataException($"{source}: \"{prefix}.weight\" is quantized with shape [{string.Join(", ", shape)}] but the model expects [{string.Join(", ", expectedShape)}]; check config.json matches the weights.");
        }
        var length = shape.Aggregate(1L, (a, b) => a * b);
        var blocks = Blockwise.BlockCount(length, blockSize);
        var packed = Part("").data<byte>().ToArray();
        if (packed.Length != (length + 1) / 2)
        {
            throw new InvalidDataException($"{source}: \"{prefix}.weight\" holds {packed.Length} bytes but shape [{string.Join(", ", shape)}] packs into {(length + 1) / 2}.");
        }
        var code = Floats(Part(".quant_map"), 16, prefix + ".weight.quant_map", source);
        var absmax = Part(".absmax");
        if (absmax.shape.Aggregate(1L, (a, b) => a * b) != blocks)
        {
            throw new InvalidDataException($"{source}: \"{prefix}.weight.absmax\" has {absmax.numel()} values but {length} values in blocks of {blockSize} need {blocks}.");
        }
        if (absmax.dtype == ScalarType.Float32)
        {
            return new Nf4Tensor(shape, blockSize, packed, absmax.data<float>().ToArray(), null, code, quantType);
        }
        if (absmax.dtype != ScalarType.Byte)
        {
            throw new InvalidDataException($"{source}: \"{prefix}.weight.absmax\" is {absmax.dtype}; bitsandbytes stores float32 (plain) or uint8 (double-quantized).");
        }
        var nestedBlockSize = Int("nested_blocksize");
        var offset = root.TryGetProperty("nested_offset", out var o) && o.ValueKind == JsonValueKind.Number ? (float)o.GetDouble()
            : throw new InvalidDataException($"{source}: \"{stateName}\" has no number \"nested_offset\".");
        var nestedMap = Floats(Part(".nested_quant_map"), 256, prefix + ".weight.nested_quant_map", source);
        if (!nestedMap.Select(BitConverter.SingleToUInt32Bits).SequenceEqual(QuantizationMaps.SignedDynamicArray.Select(BitConverter.SingleToUInt32Bits)))
        {
            throw new InvalidDataException($"{source}: \"{prefix}.weight.nested_quant_map\" is not bitsandbytes' signed dynamic map (create_dynamic_map(signed=True)); only that nested map is supported.");
        }
        var scales = Floats(Part(".nested_absmax"), Blockwise.BlockCount(blocks, nestedBlockSize), prefix + ".weight.nested_absmax", source);
        var quantizedAbsmax = new QuantizedAbsmax(absmax.data<byte>().ToArray(), scales, offset, nestedBlockSize);
        return new Nf4Tensor(shape, blockSize, packed, null, quantizedAbsmax, code, quantType);
    }

    /// <summary>Disposes the gathered parts.</summary>
    public void Clear()
    {
        foreach (var t in parts.Values)
        {
            t.Dispose();
        }
        parts.Clear();
    }

    private static float[] Floats(Tensor t, long count, string name, string source)
    {
        if (t.dtype != ScalarType.Float32 || t.numel() != count)
        {
            throw new InvalidDataException($"{source}: \"{name}\" must be {count} float32 values; it is {t.numel()} {t.dtype}.");
        }
        return t.contiguous().data<float>().ToArray();
    }
}
