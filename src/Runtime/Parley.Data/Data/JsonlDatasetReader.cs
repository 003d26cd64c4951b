using System.Collections;
using System.Text.Json;
using System.Text.Unicode;

namespace Parley.Data;

/// <summary>
/// Reads JSON Lines: one JSON object per line, blank lines ignored. Malformed JSON, a non-object line, invalid
/// UTF-8, missing or mistyped fields and unknown roles make a row bad.
/// </summary>
/// <example><code>
/// var reader = new JsonlDatasetReader("yoda_train_messages.jsonl", new DatasetReadOptions());
/// foreach (var row in reader) Console.WriteLine(row.Messages![1].Content);
/// </code></example>
public sealed class JsonlDatasetReader : IDatasetReader
{
    private readonly DatasetReadOptions _options;
    private RowInterpreter? _interpreter;

    /// <summary>Creates a reader; nothing is read until it is enumerated.</summary>
    public JsonlDatasetReader(string path, DatasetReadOptions? options = null)
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
        using var lines = new Utf8LineReader(File.OpenRead(Path));
        long row = -1;
        while (lines.TryReadLine(out var line))
        {
            if (line.Span.Trim(" \t"u8).IsEmpty) continue;
            row++;
            if (!_options.InShard(row)) continue;
            DatasetExample? example = null;
            try
            {
                example = Parse(interpreter, line, lines.LineNumber, row);
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

    private DatasetExample Parse(RowInterpreter interpreter, ReadOnlyMemory<byte> line, long lineNumber, long row)
    {
        if (!Utf8.IsValid(line.Span))
        {
            throw interpreter.Error(lineNumber, row, null, $"The line is not valid UTF-8 (first bad byte at column {FirstInvalidByte(line.Span) + 1}). Re-encode the file as UTF-8.");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw interpreter.Error(lineNumber, row, null, $"The line is not valid JSON ({e.Message}). Each line must hold one complete JSON object.", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw interpreter.Error(lineNumber, row, null, $"The line holds a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}; each line must hold one JSON object.");
            }
            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var name = _options.Columns.Map(property.Name);
                if (name is null) continue;
                if (!fields.TryAdd(name, property.Value))
                {
                    throw interpreter.Error(lineNumber, row, name, $"Two fields end up named '{name}' (after column mapping). Drop or rename one of them.");
                }
            }
            return interpreter.FromJson(fields, lineNumber, row);
        }
    }

    internal static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
