using BenchmarkDotNet.Attributes;
using Parley.Data;

namespace Parley.Benchmarks.Data;

/// <summary>
/// Streaming the seed's files (shared fixtures, read in place) through the readers: the 720-row CSV with the seed's
/// column mapping and the 576-row conversational JSONL, against reading the same bytes with <see cref="File.ReadAllBytes"/>.
/// </summary>
[MemoryDiagnoser]
public class DatasetReaderBenchmarks
{
    private string _csv = "";
    private string _jsonl = "";
    private readonly DatasetReadOptions _seed = new()
    {
        Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
    };

    [GlobalSetup]
    public void Setup()
    {
        string root = Environment.GetEnvironmentVariable("PARLEY_FIXTURES") is { Length: > 0 } env ? env : FindFixtures();
        _csv = Path.Combine(root, "data", "yoda_sentences.csv");
        _jsonl = Path.Combine(root, "data", "yoda_train_messages.jsonl");
    }

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx"))) return Path.Combine(dir.FullName, "..", "shared", "fixtures");
        }
        throw new DirectoryNotFoundException("Fixtures not found: set PARLEY_FIXTURES to the shared fixtures folder.");
    }

    [Benchmark(Baseline = true, Description = "ReadAllBytes csv + jsonl")]
    public int ReadBytes() => File.ReadAllBytes(_csv).Length + File.ReadAllBytes(_jsonl).Length;

    [Benchmark(Description = "CSV reader, 720 rows, mapped")]
    public int Csv()
    {
        int n = 0;
        foreach (var row in new CsvDatasetReader(_csv, _seed)) n += row.Completion!.Length;
        return n;
    }

    [Benchmark(Description = "JSONL reader, 576 conversations")]
    public int Jsonl()
    {
        int n = 0;
        foreach (var row in new JsonlDatasetReader(_jsonl)) n += row.Messages!.Length;
        return n;
    }
}
