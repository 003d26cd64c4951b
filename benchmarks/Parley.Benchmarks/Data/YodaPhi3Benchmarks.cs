using Parley.Buffers;
using BenchmarkDotNet.Attributes;
using Parley.Collation;
using Parley.Data;
using Parley.Labels;
using Parley.Packing;
using Parley.Tokenization;

namespace Parley.Benchmarks.Data;

/// <summary>Phi-3's template as the seed prints it (compiled by the generator for this benchmark).</summary>
[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
public static partial class YodaPhi3Template;

/// <summary>
/// The seed's 720 yoda conversations (train + test JSONL from the shared fixtures, read in place; env
/// <c>PARLEY_FIXTURES</c> or <c>../shared/fixtures</c> next to the repository) formatted with Phi-3's template and
/// tokenized with Phi-3's tokenizer once in the setup; then labels, collation and packing of all of them per operation.
/// </summary>
[MemoryDiagnoser]
public class YodaPhi3Benchmarks
{
    private int[] _ids = [];
    private int[] _offsets = [];
    private int[] _labels = [];
    private int[] _target = [];
    private TextRange[] _tokenOffsets = [];
    private TextRange[] _trainable = [];
    private int[] _trainableOffsets = [];
    private int[] _lengths = [];
    private readonly MarkerMasker<int> _masker = new([32001]);
    private readonly MarkerReport _report = new();
    private readonly Batch _batch = new();
    private readonly PaddingCollator _padding = new(new PaddingOptions { PadTokenId = 32000 });
    private readonly FlatteningCollator _flattening = new(new FlatteningOptions());

    [GlobalSetup]
    public void Setup()
    {
        string root = FixturesRoot();
        var tokenizer = ParleyTokenizer.FromTokenizerJson(Path.Combine(root, "tokenizers", "phi-3-mini-4k-instruct"));
        var ids = new List<int[]>();
        var offsets = new List<TextRange>();
        var trainable = new List<TextRange>();
        var trainableOffsets = new List<int> { 0 };
        var buffer = new char[8192];
        var ranges = new TextRange[8];
        foreach (var file in new[] { "yoda_train_messages.jsonl", "yoda_test_messages.jsonl" })
        {
            foreach (var row in DatasetReader.Open(Path.Combine(root, "data", file)))
            {
                YodaPhi3Template.TryFormat(row.Messages, buffer, out int written, FormatOptions.Default, ranges, out int count);
                var encoded = tokenizer.Encode(new string(buffer, 0, written), addSpecialTokens: false);
                ids.Add(encoded.Ids);
                offsets.AddRange(encoded.Offsets);
                trainable.AddRange(ranges.AsSpan(0, count));
                trainableOffsets.Add(trainable.Count);
            }
        }
        var ragged = Ragged<int>.FromRows(ids);
        _ids = ragged.Values.ToArray();
        _offsets = ragged.Offsets.ToArray();
        _labels = new int[_ids.Length];
        _target = new int[_ids.Length];
        _tokenOffsets = offsets.ToArray();
        _trainable = trainable.ToArray();
        _trainableOffsets = trainableOffsets.ToArray();
        _lengths = ids.Select(r => r.Length).ToArray();
        Console.WriteLine($"// yoda/phi-3: {ids.Count} rows, {_ids.Length} tokens, longest {_lengths.Max()}");
    }

    private static string FixturesRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx"))) return Path.Combine(dir.FullName, "..", "shared", "fixtures");
        }
        throw new DirectoryNotFoundException("Fixtures not found: set PARLEY_FIXTURES to the shared fixtures folder.");
    }

    [Benchmark(Baseline = true, Description = "memcpy all ids")]
    public void Memcpy() => _ids.AsSpan().CopyTo(_target);

    [Benchmark(Description = "labels from <|assistant|> marker")]
    public void MarkerLabels() => _masker.Apply(new RaggedSpan<int>(_ids, _offsets), _labels, _report);

    [Benchmark(Description = "labels from template ranges + offsets")]
    public int TemplateLabels()
    {
        int trained = 0;
        for (int r = 0; r < _lengths.Length; r++)
        {
            int start = _offsets[r], length = _lengths[r];
            trained += TemplateLabeler.Apply<int>(
                _ids.AsSpan(start, length), _tokenOffsets.AsSpan(start, length),
                _trainable.AsSpan(_trainableOffsets[r], _trainableOffsets[r + 1] - _trainableOffsets[r]), _labels.AsSpan(start, length));
        }
        return trained;
    }

    [Benchmark(Description = "padding collator, batches of 16")]
    public void Padding()
    {
        for (int r = 0; r < _lengths.Length; r += 16) _padding.Collate(Slice(r, Math.Min(16, _lengths.Length - r)), _batch);
    }

    [Benchmark(Description = "padding-free collator, batches of 16")]
    public void Flattening()
    {
        for (int r = 0; r < _lengths.Length; r += 16) _flattening.Collate(Slice(r, Math.Min(16, _lengths.Length - r)), _batch);
    }

    [Benchmark(Description = "bfd_split plan, seq 512")]
    public PackingPlan Bfd() => Packer.Plan(_lengths, new PackingOptions { SeqLength = 512, Strategy = PackingStrategy.BfdSplit });

    private RaggedSpan<int> Slice(int first, int count)
    {
        // Rows first..first+count as a RaggedSpan without copying: the ids are contiguous, rebase the offsets.
        int baseOffset = _offsets[first];
        Span<int> rebased = _rebased.AsSpan(0, count + 1);
        for (int i = 0; i <= count; i++) rebased[i] = _offsets[first + i] - baseOffset;
        return new RaggedSpan<int>(_ids.AsSpan(baseOffset, _offsets[first + count] - baseOffset), rebased);
    }

    private readonly int[] _rebased = new int[17];
}
