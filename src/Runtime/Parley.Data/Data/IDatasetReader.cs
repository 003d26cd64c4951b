namespace Parley.Data;

/// <summary>
/// A streaming reader of one dataset file: enumerate it to get good rows one at a time (the file is never loaded
/// whole); bad rows throw <see cref="DatasetException"/> or, with <see cref="BadRowPolicy.Skip"/>, are counted in
/// <see cref="Report"/>. Each enumeration reads the file again from the start and resets the report.
/// </summary>
/// <example><code>
/// var reader = DatasetReader.Open("train.jsonl");
/// foreach (DatasetExample row in reader) { /* format, tokenize … */ }
/// Console.WriteLine($"{reader.Format}: {reader.Report}");
/// </code></example>
public interface IDatasetReader : IEnumerable<DatasetExample>
{
    /// <summary>The file read.</summary>
    string Path { get; }

    /// <summary>The format in force (detected from the first good row when <see cref="DatasetReadOptions.Format"/> is Auto).</summary>
    DatasetFormat Format { get; }

    /// <summary>Rows read and skipped by the last (or current) enumeration.</summary>
    BadRowReport Report { get; }
}
