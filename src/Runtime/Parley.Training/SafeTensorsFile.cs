using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Parley.Training;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header mapping each name to
/// <c>{dtype, shape, data_offsets}</c> (plus optional <c>__metadata__</c>), then the raw little-endian tensor bytes.
/// Writes F32, F16, BF16, I64 and U8; reads the same.
/// </summary>
/// <example>
/// <code>
/// SafeTensorsFile.Save("adapter_model.safetensors", tensors, new Dictionary&lt;string, string&gt; { ["format"] = "pt" });
/// Dictionary&lt;string, Tensor&gt; loaded = SafeTensorsFile.Load("adapter_model.safetensors");
/// </code>
/// </example>
public static class SafeTensorsFile
{
    /// <summary>The entry of one tensor in a safetensors header.</summary>
    /// <param name="Name">The tensor's name.</param>
    /// <param name="DType">safetensors dtype: F32, F16, BF16, I64, U8 …</param>
    /// <param name="Shape">The shape.</param>
    /// <param name="Begin">Start offset in the data section.</param>
    /// <param name="End">End offset (exclusive).</param>
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Writes tensors (in name order) atomically: to a temporary file, then renamed over <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Name → tensor (any device; copied to the CPU).</param>
    /// <param name="metadata">Optional string metadata (<c>__metadata__</c>).</param>
    /// <exception cref="NotSupportedException">A tensor's dtype has no safetensors name here.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata)
            {
                meta[k] = v;
            }
            header["__metadata__"] = meta;
        }
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in ordered)
        {
            using var cpu = t.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(cpu.dtype, name),
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (var i = json.Length; i < padded; i++)
            {
                stream.WriteByte((byte)' ');
            }
            foreach (var blob in blobs)
            {
                stream.Write(blob);
            }
        });
    }

    /// <summary>Reads the header entries and metadata without loading tensor data.</summary>
    /// <param name="path">A safetensors file.</param>
    /// <returns>The entries in file order and the metadata (empty when none).</returns>
    /// <exception cref="InvalidDataException">The header is malformed.</exception>
    public static (IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path, out _);
    }

    /// <summary>Loads every tensor onto the CPU, keeping its dtype.</summary>
    /// <param name="path">A safetensors file.</param>
    /// <returns>Name → tensor.</returns>
    /// <exception cref="InvalidDataException">The file is malformed or truncated.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var stream = File.OpenRead(path);
        var (entries, _) = ReadHeader(stream, path, out var dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var bytes = new byte[e.End - e.Begin];
            stream.Position = dataStart + e.Begin;
            if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
            {
                throw new InvalidDataException($"{path}: tensor \"{e.Name}\" runs past the end of the file; the file is truncated.");
            }
            var t = empty(e.Shape, ScalarTypeOf(e.DType, path, e.Name));
            if (t.NumberOfElements * t.ElementSize != bytes.Length)
            {
                throw new InvalidDataException($"{path}: tensor \"{e.Name}\" has {bytes.Length} bytes but shape [{string.Join(", ", e.Shape)}] {e.DType} needs {t.NumberOfElements * t.ElementSize}.");
            }
            t.bytes = bytes;
            result[e.Name] = t;
        }
        return result;
    }

    private static (IReadOnlyList<Entry>, IReadOnlyDictionary<string, string>) ReadHeader(Stream stream, string path, out long dataStart)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw new InvalidDataException($"{path}: shorter than the 8-byte safetensors header length.");
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (length > 100_000_000 || (long)length > stream.Length - 8)
        {
            throw new InvalidDataException($"{path}: header length {length} does not fit the file ({stream.Length} bytes); is it a safetensors file?");
        }
        var json = new byte[length];
        stream.ReadExactly(json);
        dataStart = 8 + (long)length;
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>();
        using var doc = JsonDocument.Parse(json);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject())
                {
                    metadata[m.Name] = m.Value.GetString() ?? "";
                }
                continue;
            }
            try
            {
                var offsets = property.Value.GetProperty("data_offsets");
                entries.Add(new Entry(
                    property.Name,
                    property.Value.GetProperty("dtype").GetString()!,
                    property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                    offsets[0].GetInt64(),
                    offsets[1].GetInt64()));
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"{path}: header entry \"{property.Name}\" lacks dtype, shape or data_offsets.", e);
            }
        }
        return (entries, metadata);
    }

    private static string DTypeName(ScalarType dtype, string name) => dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Byte => "U8",
        _ => throw new NotSupportedException($"tensor \"{name}\" has dtype {dtype}, which is not written to safetensors here; convert it to float32."),
    };

    private static ScalarType ScalarTypeOf(string dtype, string path, string name) => dtype switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "U8" => ScalarType.Byte,
        _ => throw new InvalidDataException($"{path}: tensor \"{name}\" has dtype {dtype}, which is not supported (F32, F16, BF16, I64, I32, U8)."),
    };
}
