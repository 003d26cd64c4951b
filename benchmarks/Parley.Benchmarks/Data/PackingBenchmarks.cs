using Parley.Buffers;
using BenchmarkDotNet.Attributes;
using Parley.Collation;
using Parley.Packing;

namespace Parley.Benchmarks.Data;

/// <summary>
/// Packing plans for 1,000,000 sequences (log-normal lengths, median 148, max 8192) into rows of 2048, and
/// applying a plan to 100,000 sequences' ids, against copying the same ids.
/// </summary>
[MemoryDiagnoser]
public class PackingBenchmarks
{
    private int[] _lengths = [];
    private int[] _smallIds = [];
    private int[] _smallOffsets = [];
    private int[] _smallTarget = [];
    private int[] _smallRowOffsets = [];
    private PackingPlan _smallPlan = null!;

    [GlobalSetup]
    public void Setup()
    {
        _lengths = Synthetic.Lengths(1_000_000, mu: 5, sigma: 1, max: 8192, seed: 5);
        var small = _lengths[..100_000];
        (_smallIds, _smallOffsets) = Synthetic.Ids(small, seed: 6);
        _smallTarget = new int[_smallIds.Length];
        _smallPlan = Packer.Plan(small, new PackingOptions { SeqLength = 2048, Strategy = PackingStrategy.BfdSplit });
        _smallRowOffsets = new int[_smallPlan.Count + 1];
        foreach (var strategy in new[] { PackingStrategy.Wrapped, PackingStrategy.Bfd, PackingStrategy.BfdSplit })
        {
            Console.WriteLine("// " + Packer.Plan(_lengths, new PackingOptions { SeqLength = 2048, Strategy = strategy }).Report);
        }
    }

    [Benchmark(Description = "plan wrapped, 1M seqs")]
    public PackingPlan Wrapped() => Packer.Plan(_lengths, new PackingOptions { SeqLength = 2048, Strategy = PackingStrategy.Wrapped });

    [Benchmark(Description = "plan bfd, 1M seqs")]
    public PackingPlan Bfd() => Packer.Plan(_lengths, new PackingOptions { SeqLength = 2048, Strategy = PackingStrategy.Bfd });

    [Benchmark(Description = "plan bfd_split, 1M seqs")]
    public PackingPlan BfdSplit() => Packer.Plan(_lengths, new PackingOptions { SeqLength = 2048, Strategy = PackingStrategy.BfdSplit });

    [Benchmark(Description = "memcpy ids of 100k seqs")]
    public void Memcpy() => _smallIds.AsSpan().CopyTo(_smallTarget);

    [Benchmark(Description = "apply bfd_split plan, 100k seqs")]
    public void Apply() => _smallPlan.Apply(new RaggedSpan<int>(_smallIds, _smallOffsets), 0, _smallTarget, _smallRowOffsets);
}
