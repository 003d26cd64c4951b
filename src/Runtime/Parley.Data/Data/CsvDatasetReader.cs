using System.Buffers;
using System.Collections;
using System.Text;

namespace Parley.Data;

/// <summary>
/// Reads RFC 4180 CSV (comma separated, <c>"</c> quoting with <c>""</c> escapes, newlines inside quotes; the first
/// record names the columns). A record with the wrong number of fields, an unterminated quote or invalid UTF-8 is
/// a bad row. CSV holds prompt/completion or text rows; conversations need JSONL or Parquet.
/// </summary>
/// <example><code>
/// var options = new DatasetReadOptions { Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation") };
/// foreach (var row in new CsvDatasetReader("yoda_sentences.csv", options)) Console.WriteLine($"{row.Prompt} -> {row.Completion}");
/// </code></example>
public sealed class CsvDatasetReader : IDatasetReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly DatasetReadOptions _options;
    private RowInterpreter? _interpreter;

    /// <summary>Creates a reader; nothing is read until it is enumerated.</summary>
    public CsvDatasetReader(string path, DatasetReadOptions? options = null)
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
        var record = new ArrayBufferWriter<byte>();
        var unquoted = new ArrayBufferWriter<byte>();
        var fields = new List<string>();
        string?[]? header = null; // mapped names; null entries are dropped columns
        string[]? sourceHeader = null;
        long row = -1;
        while (true)
        {
            long startLine = lines.LineNumber + 1;
            var outcome = ReadRecord(lines, record, unquoted, fields, out var problem, out var field);
            if (outcome == RecordOutcome.End) yield break;
            if (header is null)
            {
                if (outcome != RecordOutcome.Record)
                {
                    throw interpreter.Error(startLine, -1, field is null ? null : $"column {field + 1}", $"The header record is unusable: {problem}");
                }
                sourceHeader = fields.ToArray();
                header = new string?[fields.Count];
                for (int i = 0; i < fields.Count; i++) header[i] = _options.Columns.Map(fields[i]);
                continue;
            }
            if (outcome == RecordOutcome.Record && fields.Count == 1 && fields[0].Length == 0 && header.Length > 1) continue; // blank line
            row++;
            if (!_options.InShard(row)) continue;
            DatasetExample? example = null;
            try
            {
                if (outcome == RecordOutcome.Bad)
                {
                    throw interpreter.Error(startLine, row, field is null ? null : Name(sourceHeader!, field.Value), problem!);
                }
                if (fields.Count != header.Length)
                {
                    throw interpreter.Error(startLine, row, null, $"The record has {fields.Count} fields; the header has {header.Length}. Quote fields that contain commas or line breaks.");
                }
                var named = new Dictionary<string, string>(StringComparer.Ordinal);
                for (int i = 0; i < header.Length; i++)
                {
                    if (header[i] is { } name && !named.TryAdd(name, fields[i]))
                    {
                        throw interpreter.Error(startLine, row, name, $"Two columns end up named '{name}' (after column mapping). Drop or rename one of them.");
                    }
                }
                example = interpreter.FromStrings(named, startLine, row);
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

    private static string Name(string[] header, int index) => index < header.Length ? header[index] : $"column {index + 1}";

    private enum RecordOutcome { Record, Bad, End }

    /// <summary>Reads one record (possibly several physical lines) and splits it into decoded fields.</summary>
    private static RecordOutcome ReadRecord(Utf8LineReader lines, ArrayBufferWriter<byte> record, ArrayBufferWriter<byte> unquoted, List<string> fields, out string? problem, out int? badField)
    {
        record.Clear();
        problem = null;
        badField = null;
        if (!lines.TryReadLine(out var line)) return RecordOutcome.End;
        record.Write(line.Span);
        while (true)
        {
            var status = Split(record.WrittenSpan, unquoted, fields, out problem, out badField);
            if (status != SplitStatus.NeedMore) return status == SplitStatus.Done ? RecordOutcome.Record : RecordOutcome.Bad;
            if (!lines.TryReadLine(out line))
            {
                problem = $"A quoted field (column {badField + 1}) is never closed before the end of the file. Close the quote, or double the quotes inside it (\"\").";
                return RecordOutcome.Bad;
            }
            record.Write("\n"u8);
            record.Write(line.Span);
        }
    }

    private enum SplitStatus { Done, NeedMore, Bad }

    private static SplitStatus Split(ReadOnlySpan<byte> record, ArrayBufferWriter<byte> unquoted, List<string> fields, out string? problem, out int? badField)
    {
        fields.Clear();
        problem = null;
        badField = null;
        int i = 0;
        while (true)
        {
            int index = fields.Count;
            ReadOnlySpan<byte> value;
            if (i < record.Length && record[i] == (byte)'"')
            {
                unquoted.Clear();
                int j = i + 1;
                while (true)
                {
                    int quote = record[j..].IndexOf((byte)'"');
                    if (quote < 0) { badField = index; return SplitStatus.NeedMore; }
                    unquoted.Write(record.Slice(j, quote));
                    j += quote + 1;
                    if (j < record.Length && record[j] == (byte)'"') { unquoted.Write("\""u8); j++; continue; }
                    break;
                }
                if (j < record.Length && record[j] != (byte)',')
                {
                    badField = index;
                    problem = $"Unexpected text after the closing quote of column {index + 1}. Double the quotes inside a quoted field (\"\").";
                    return SplitStatus.Bad;
                }
                value = unquoted.WrittenSpan;
                i = j;
            }
            else
            {
                int comma = record[i..].IndexOf((byte)',');
                int end = comma < 0 ? record.Length : i + comma;
                value = record[i..end];
                i = end;
            }
            try
            {
                fields.Add(StrictUtf8.GetString(value));
            }
            catch (DecoderFallbackException)
            {
                badField = index;
                problem = $"The field is not valid UTF-8 (first bad byte at offset {JsonlDatasetReader.FirstInvalidByte(value)} in the field). Re-encode the file as UTF-8.";
                return SplitStatus.Bad;
            }
            if (i >= record.Length) return SplitStatus.Done;
            i++; // the comma
            if (i == record.Length) { fields.Add(""); return SplitStatus.Done; }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
