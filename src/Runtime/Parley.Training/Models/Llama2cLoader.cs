using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Loads a llama2.c checkpoint (<c>run.c</c>'s legacy version-0 <c>.bin</c>): a header of seven int32
/// (<c>dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len</c>; a positive vocab size means the
/// classifier shares the embedding), then float32 weights. Query and key weights are permuted from llama2.c's
/// interleaved rotary layout to Hugging Face's half-split layout, so one model class serves both sources.
/// </summary>
/// <example>
/// <code>
/// using var model = Llama2cLoader.Load("stories260K.bin");              // CPU
/// using var onGpu = Llama2cLoader.Load("stories260K.bin", torch.CUDA); // with TorchSharp-cuda-linux
/// </code>
/// </example>
public static class Llama2cLoader
{
    private const int HeaderInts = 7;

    /// <summary>Reads the header of a llama2.c checkpoint.</summary>
    /// <param name="path">The <c>.bin</c> file.</param>
    /// <returns>The model shape.</returns>
    /// <exception cref="InvalidDataException">The header is short or holds impossible sizes.</exception>
    public static LlamaConfig ReadConfig(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadConfig(stream, path);
    }

    /// <summary>Loads a llama2.c checkpoint into a new <see cref="LlamaForCausalLM"/>.</summary>
    /// <param name="path">The <c>.bin</c> file.</param>
    /// <param name="device">Where the weights go (null: CPU).</param>
    /// <returns>The model in float32, in evaluation mode.</returns>
    /// <exception cref="InvalidDataException">The file's size does not match its header.</exception>
    public static LlamaForCausalLM Load(string path, Device? device = null)
    {
        using var stream = File.OpenRead(path);
        var config = ReadConfig(stream, path);
        var shared = ReadHeader(stream, path, rewind: true)[5] > 0;
        long dim = config.HiddenSize, hidden = config.IntermediateSize, layers = config.NumLayers, vocab = config.VocabSize;
        long kvDim = config.NumKeyValueHeads * config.HeadDim;
        long ropeTables = config.MaxPositionEmbeddings * config.HeadDim; // freq_cis_real + freq_cis_imag, each seq_len * head_size / 2
        long floats = vocab * dim + layers * (dim + dim * dim + 2 * dim * kvDim + dim * dim + dim + 3 * dim * hidden) + dim + ropeTables
            + (shared ? 0 : vocab * dim);
        var expected = 4L * HeaderInts + 4L * floats;
        if (stream.Length != expected)
        {
            throw new InvalidDataException(
                $"{path}: {stream.Length} bytes, but its header ({config.HiddenSize} dim, {config.NumLayers} layers, vocab {config.VocabSize}, " +
                $"{(shared ? "shared" : "separate")} classifier) implies {expected}; is it a llama2.c version-0 (legacy) export?");
        }

        var model = new LlamaForCausalLM(config with { TieWordEmbeddings = shared }, device);
        var assigner = new WeightAssigner(model, path);
        var reader = new FloatReader(stream);
        assigner.Assign("model.embed_tokens.weight", reader.Next(vocab, dim));
        PerLayer(assigner, reader, layers, "input_layernorm.weight", dim);
        PerLayer(assigner, reader, layers, "self_attn.q_proj.weight", dim, dim, config.NumHeads);
        PerLayer(assigner, reader, layers, "self_attn.k_proj.weight", kvDim, dim, config.NumKeyValueHeads);
        PerLayer(assigner, reader, layers, "self_attn.v_proj.weight", kvDim, dim);
        PerLayer(assigner, reader, layers, "self_attn.o_proj.weight", dim, dim);
        PerLayer(assigner, reader, layers, "post_attention_layernorm.weight", dim);
        PerLayer(assigner, reader, layers, "mlp.gate_proj.weight", hidden, dim);
        PerLayer(assigner, reader, layers, "mlp.down_proj.weight", dim, hidden);
        PerLayer(assigner, reader, layers, "mlp.up_proj.weight", hidden, dim);
        assigner.Assign("model.norm.weight", reader.Next(dim));
        reader.Skip(ropeTables);
        if (!shared)
        {
            assigner.Assign("lm_head.weight", reader.Next(vocab, dim));
        }
        assigner.EnsureComplete();
        model.eval();
        return model;
    }

    private static void PerLayer(WeightAssigner assigner, FloatReader reader, long layers, string name, params long[] shape)
    {
        for (var l = 0; l < layers; l++)
        {
            using var weight = reader.Next(shape.Length == 3 ? shape[..2] : shape);
            if (shape.Length == 3)
            {
                using var hf = InterleavedToHalfSplit(weight, shape[2]);
                assigner.Assign($"model.layers.{l}.{name}", hf);
            }
            else
            {
                assigner.Assign($"model.layers.{l}.{name}", weight);
            }
        }
    }

    /// <summary>Reorders the output rows of a q/k projection so rotary pairs (2i, 2i+1) become (i, i + headDim/2).</summary>
    internal static Tensor InterleavedToHalfSplit(Tensor weight, long heads)
    {
        var rows = weight.shape[0];
        var cols = weight.shape[1];
        return weight.view(heads, rows / heads / 2, 2, cols).transpose(1, 2).reshape(rows, cols);
    }

    private static LlamaConfig ReadConfig(Stream stream, string path)
    {
        var h = ReadHeader(stream, path, rewind: false);
        int dim = h[0], hiddenDim = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = Math.Abs(h[5]), seqLen = h[6];
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0
            || dim % heads != 0 || heads % kvHeads != 0)
        {
            throw new InvalidDataException(
                $"{path}: header [{string.Join(", ", h)}] (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) is not a valid llama2.c model.");
        }
        return new LlamaConfig
        {
            VocabSize = vocab,
            HiddenSize = dim,
            IntermediateSize = hiddenDim,
            NumLayers = layers,
            NumHeads = heads,
            NumKeyValueHeads = kvHeads,
            MaxPositionEmbeddings = seqLen,
            RmsNormEps = 1e-5,
            RopeTheta = 10000.0,
            TieWordEmbeddings = h[5] > 0,
        };
    }

    private static int[] ReadHeader(Stream stream, string path, bool rewind)
    {
        if (rewind)
        {
            stream.Position = 0;
        }
        var bytes = new byte[4 * HeaderInts];
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
        {
            throw new InvalidDataException($"{path}: shorter than the 28-byte llama2.c header.");
        }
        return MemoryMarshal.Cast<byte, int>(bytes).ToArray();
    }

    private sealed class FloatReader(Stream stream)
    {
        public Tensor Next(params long[] shape)
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var values = new float[count];
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            return tensor(values, shape);
        }

        public void Skip(long floats) => stream.Seek(4 * floats, SeekOrigin.Current);
    }
}
