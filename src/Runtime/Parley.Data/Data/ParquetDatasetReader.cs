using System.Collections;
using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Parley.Data;

/// <summary>
/// Reads Parquet (HF <c>datasets</c> exports) with Parquet.Net, one row group at a time, so memory is bounded by the
/// largest row group, not the file. Nested <c>messages</c>/<c>conversations</c> (list of structs) are supported.
/// For Parquet, <see cref="DatasetExample.Line"/> and <see cref="ParleyException.Line"/> are the 1-based row number.
/// </summary>
/// <remarks>Parquet.Net is asynchronous; this enumerator waits on it, so enumerate from a thread-pool thread, not a UI thread.</remarks>
/// <example><code>
/// foreach (var row in new ParquetDatasetReader("train-00000-of-00001.parquet")) Console.WriteLine(row.Messages!.Length);
/// </code></example>
public sealed class ParquetDatasetReader : IDatasetReader
{
    private readonly DatasetReadOptions _options;
    private RowInterpreter? _interpreter;

    /// <summary>Creates a reader; nothing is read until it is enumerated.</summary>
    public ParquetDatasetReader(string path, DatasetReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _options = options ?? new DatasetReadOptions();
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public DatasetFormat Format => _interpreter?.Format ?? _options.Format;

    /// <inheritdoc/>
    public BadRowReport Report { get; private set; } = new();

    /// <inheritdoc/>
    public IEnumerator<DatasetExample> GetEnumerator()
    {
        Report = new BadRowReport();
        var interpreter = _interpreter = new RowInterpreter(_options, Path);
        using var stream = File.OpenRead(Path);
        int rowGroups;
        try
        {
            rowGroups = CountRowGroups(stream);
        }
        catch (Exception e) when (e is not DatasetException)
        {
            throw interpreter.Error(0, -1, null, $"The file is not a readable Parquet file ({e.Message}).", e);
        }
        long row = -1;
        for (int group = 0; group < rowGroups; group++)
        {
            stream.Position = 0;
            var result = ParquetSerializer.DeserializeUntypedAsync(stream, null, group).GetAwaiter().GetResult();
            foreach (var values in result.Data)
            {
                row++;
                if (!_options.InShard(row)) continue;
                DatasetExample? example = null;
                try
                {
                    example = interpreter.FromJson(Fields(values, interpreter, row), row + 1, row);
                }
                catch (DatasetException error) when (_options.BadRows == BadRowPolicy.Skip)
                {
                    Report.Bad(error);
                }
                if (example is not null)
                {
                    Report.Good();
                    yield return example;
                }
            }
        }
    }

    private static int CountRowGroups(Stream stream)
    {
        var reader = ParquetReader.CreateAsync(stream, null, leaveStreamOpen: true).GetAwaiter().GetResult();
        try
        {
            return reader.RowGroupCount;
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Maps the columns and turns Parquet.Net's untyped values into JSON, absent (null) message contents included.</summary>
    private Dictionary<string, JsonElement> Fields(Dictionary<string, object> values, RowInterpreter interpreter, long row)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (column, value) in values)
        {
            var name = _options.Columns.Map(column);
            if (name is null) continue;
            if (!fields.TryAdd(name, JsonSerializer.SerializeToElement(Normalize(value, name))))
            {
                throw interpreter.Error(row + 1, row, name, $"Two columns end up named '{name}' (after column mapping). Drop or rename one of them.");
            }
        }
        return fields;
    }

    private static object? Normalize(object? value, string name) => value switch
    {
        null or string => value,
        ReadOnlyMemory<char> chars => chars.ToString(),
        IDictionary<string, object> message when name is "messages" or "conversations" => WithContent(message, name),
        IDictionary<string, object> nested => nested.ToDictionary(kv => kv.Key, kv => Normalize(kv.Value, kv.Key)),
        IEnumerable list => list.Cast<object?>().Select(item => Normalize(item, name)).ToList(),
        _ => value,
    };

    private static Dictionary<string, object?> WithContent(IDictionary<string, object> message, string name)
    {
        var normalized = message.ToDictionary(kv => kv.Key, kv => Normalize(kv.Value, kv.Key));
        normalized.TryAdd(name == "conversations" ? "value" : "content", null); // Parquet.Net leaves null fields out
        return normalized;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
