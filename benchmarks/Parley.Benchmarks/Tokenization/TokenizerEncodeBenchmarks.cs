using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Parley.Tokenization;
using HfTokenizer = Tokenizers.DotNet.Tokenizer;

namespace Parley.Benchmarks.Tokenization;

/// <summary>
/// Encode throughput of <see cref="ParleyTokenizer"/> against HF's Rust tokenizers (Tokenizers.DotNet 1.4.1) on the same
/// tokenizer.json, single-threaded and on all cores. Setup checks both produce identical ids on the whole corpus.
/// Run: <c>dotnet run -c Release --project benchmarks/Parley.Benchmarks -- --filter *TokenizerEncode*</c>.
/// </summary>
[Config(typeof(Config))]
public class TokenizerEncodeBenchmarks
{
    private ParleyTokenizer _parley = null!;
    private HfTokenizer _hf = null!;
    private ThreadLocal<HfTokenizer> _hfPerThread = null!;
    private string[] _texts = [];

    [Params("phi-3", "qwen3")]
    public string Model { get; set; } = "";

    [Params("yoda", "mixed")]
    public string Corpus { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string json = TokenizerCorpus.TokenizerJson(Model);
        _parley = ParleyTokenizer.FromTokenizerJson(json);
        _hf = new HfTokenizer(vocabPath: json);
        _hfPerThread = new ThreadLocal<HfTokenizer>(() => new HfTokenizer(vocabPath: json), trackAllValues: true);
        _texts = TokenizerCorpus.Get(Corpus);
        for (int i = 0; i < _texts.Length; i++)
        {
            int[] ours = _parley.EncodeToIds(_texts[i]);
            uint[] theirs = _hf.Encode(_texts[i]);
            if (!ours.AsSpan().SequenceEqual(theirs.Select(x => (int)x).ToArray()))
                throw new InvalidOperationException($"{Model}/{Corpus} text #{i}: Parley and HF ids differ; the comparison would be meaningless.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (HfTokenizer t in _hfPerThread.Values) t.Dispose();
        _hfPerThread.Dispose();
        _hf.Dispose();
    }

    [Benchmark(Baseline = true, Description = "HF Rust, 1 thread")]
    public long HfRustSingleThread()
    {
        long n = 0;
        foreach (string t in _texts) n += _hf.Encode(t).Length;
        return n;
    }

    [Benchmark(Description = "Parley, 1 thread")]
    public long ParleySingleThread()
    {
        long n = 0;
        foreach (string t in _texts) n += _parley.EncodeToIds(t).Length;
        return n;
    }

    [Benchmark(Description = "Parley + offsets, 1 thread")]
    public long ParleyWithOffsetsSingleThread()
    {
        long n = 0;
        foreach (string t in _texts) n += _parley.Encode(t).Count;
        return n;
    }

    [Benchmark(Description = "HF Rust, all cores")]
    public long HfRustAllCores()
    {
        long n = 0;
        Parallel.ForEach(_texts, () => 0L, (t, _, local) => local + _hfPerThread.Value!.Encode(t).Length, local => Interlocked.Add(ref n, local));
        return n;
    }

    [Benchmark(Description = "Parley, all cores")]
    public long ParleyAllCores()
    {
        long n = 0;
        Parallel.ForEach(_texts, () => 0L, (t, _, local) => local + _parley.EncodeToIds(t).Length, local => Interlocked.Add(ref n, local));
        return n;
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
            AddColumn(new ThroughputColumn());
            WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
    }

    /// <summary>MB/s of UTF-8 input: corpus bytes divided by the mean time of one pass.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "MBps";
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "UTF-8 megabytes (10^6) of input encoded per second";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is null) return "-";
            string corpus = (string)benchmarkCase.Parameters["Corpus"];
            double seconds = report.ResultStatistics.Mean / 1e9;
            return (TokenizerCorpus.Utf8Bytes(corpus) / 1e6 / seconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
