namespace Parley.Data;

/// <summary>Opens a dataset file with the reader its extension calls for (<c>.jsonl</c>/<c>.ndjson</c>/<c>.json</c> lines, <c>.csv</c>, <c>.parquet</c>).</summary>
/// <example><code>
/// var reader = DatasetReader.Open("yoda_sentences.csv", new DatasetReadOptions
/// {
///     Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
/// });
/// foreach (var row in reader) Console.WriteLine(row.Completion);
/// </code></example>
public static class DatasetReader
{
    /// <summary>Creates the reader for <paramref name="path"/>; nothing is read until it is enumerated.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetException">The extension is not a supported format.</exception>
    public static IDatasetReader Open(string path, DatasetReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The dataset file '{path}' does not exist.", path);
        return System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" or ".json" => new JsonlDatasetReader(path, options),
            ".csv" => new CsvDatasetReader(path, options),
            ".parquet" => new ParquetDatasetReader(path, options),
            var other => throw new DatasetFileException(path,
                $"files ending '{(other.Length == 0 ? "(no extension)" : other)}' are not a dataset format Parley reads; save it as JSON Lines (.jsonl), CSV (.csv) or Parquet (.parquet)."),
        };
    }
}
