using Parley.Buffers;
using BenchmarkDotNet.Attributes;
using Parley.Collation;
using Parley.Labels;
using Parley.Templates;

namespace Parley.Benchmarks.Data;

/// <summary>
/// Marker masking (TRL completion-only semantics) over 1,048,576 tokens in rows of the seed's shape
/// (Phi-3 ids: user marker 32010, assistant marker 32001, end 32007), against a plain copy of the same buffers.
/// </summary>
[MemoryDiagnoser]
public class MarkerMaskingBenchmarks
{
    private const int Tokens = 1 << 20;
    private int[] _ids = [];
    private int[] _offsets = [];
    private int[] _labels = [];
    private MarkerMasker<int> _lastResponse = null!;
    private MarkerMasker<int> _turns = null!;
    private readonly MarkerReport _report = new();

    [Params(48, 512)]
    public int RowLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int rows = Tokens / RowLength;
        var lengths = new int[rows];
        Array.Fill(lengths, RowLength);
        (_ids, _offsets) = Synthetic.Ids(lengths, seed: 1);
        var random = new Random(2);
        for (int r = 0; r < rows; r++)
        {
            var row = _ids.AsSpan(_offsets[r], RowLength);
            row[0] = 32010;                                   // <|user|>
            row[random.Next(RowLength / 4, RowLength / 2)] = 32001; // <|assistant|>
            row[^1] = 32007;
        }
        _labels = new int[_ids.Length];
        _lastResponse = new MarkerMasker<int>([32001]);
        _turns = new MarkerMasker<int>([32001], [32010]);
    }

    [Benchmark(Baseline = true, Description = "memcpy ids->labels")]
    public void Memcpy() => _ids.AsSpan().CopyTo(_labels);

    [Benchmark(Description = "response marker (last wins)")]
    public void LastResponse() => _lastResponse.Apply(new RaggedSpan<int>(_ids, _offsets), _labels, _report);

    [Benchmark(Description = "instruction + response markers")]
    public void Turns() => _turns.Apply(new RaggedSpan<int>(_ids, _offsets), _labels, _report);

    [Benchmark(Description = "instruction + response, generated Phi3.MarkerMask")]
    public void GeneratedTurns()
    {
        var mask = Phi3.MarkerMask.Instance;
        for (int r = 0; r + 1 < _offsets.Length; r++)
        {
            int start = _offsets[r], length = _offsets[r + 1] - start;
            _report.Record(mask.Apply(_ids.AsSpan(start, length), _labels.AsSpan(start, length)));
        }
    }
}
