using Parley.Buffers;
using BenchmarkDotNet.Attributes;
using Parley.Collation;

namespace Parley.Benchmarks.Data;

/// <summary>
/// One batch of 64 sequences (long-tailed lengths, median 148, max 2048) through each collator into a reused
/// <see cref="Batch"/>, against copying the same ids into a long buffer (the physical limit of the output).
/// </summary>
[MemoryDiagnoser]
public class CollatorBenchmarks
{
    private int[] _ids = [];
    private int[] _offsets = [];
    private int[] _labels = [];
    private long[] _target = [];
    private long[] _target2 = [];
    private readonly Batch _batch = new();
    private PaddingCollator _padding = null!;
    private FlatteningCollator _flattening = null!;

    [GlobalSetup]
    public void Setup()
    {
        var lengths = Synthetic.Lengths(64, mu: 5, sigma: 1, max: 2048, seed: 3);
        (_ids, _offsets) = Synthetic.Ids(lengths, seed: 4);
        _labels = (int[])_ids.Clone();
        _target = new long[_ids.Length];
        _target2 = new long[_ids.Length];
        _padding = new PaddingCollator(new PaddingOptions { PadTokenId = 32000, PadToMultipleOf = 64 });
        _flattening = new FlatteningCollator(new FlatteningOptions());
        TokensPerBatch = _ids.Length;
    }

    /// <summary>Real tokens in the batch (printed by the setup for tokens/s).</summary>
    public static int TokensPerBatch { get; private set; }

    [Benchmark(Baseline = true, Description = "widen-copy ids->long[]")]
    public void Copy()
    {
        for (int i = 0; i < _ids.Length; i++) _target[i] = _ids[i];
    }

    [Benchmark(Description = "memcpy same bytes (int64)")]
    public void Memcpy() => _target.AsSpan().CopyTo(_target2);

    [Benchmark(Description = "padding + LM labels")]
    public void Padding() => _padding.Collate(new RaggedSpan<int>(_ids, _offsets), _batch);

    [Benchmark(Description = "padding + precomputed labels")]
    public void PaddingLabels() => _padding.Collate(new RaggedSpan<int>(_ids, _offsets), new RaggedSpan<int>(_labels, _offsets), _batch);

    [Benchmark(Description = "padding-free (flattening)")]
    public void Flattening() => _flattening.Collate(new RaggedSpan<int>(_ids, _offsets), new RaggedSpan<int>(_labels, _offsets), _batch);
}
