using System.Text.Json;

namespace Parley.Training.Models;

/// <summary>
/// The shape of a Llama-family decoder (Llama, Qwen2, llama2.c): sizes, heads, RoPE base, norm epsilon, whether the
/// output head shares the token embedding, and whether q/k/v projections carry a bias (Qwen2).
/// </summary>
/// <example>
/// <code>
/// var config = new LlamaConfig { VocabSize = 512, HiddenSize = 64, IntermediateSize = 172, NumLayers = 5,
///                                NumHeads = 8, NumKeyValueHeads = 4, TieWordEmbeddings = true };
/// var fromHf = LlamaConfig.FromHfConfigJson(File.ReadAllText("config.json"));
/// </code>
/// </example>
public sealed record LlamaConfig
{
    /// <summary>Tokens in the vocabulary.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Model width (<c>hidden_size</c>, llama2.c <c>dim</c>).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>SwiGLU inner width (<c>intermediate_size</c>, llama2.c <c>hidden_dim</c>).</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Decoder layers.</summary>
    public required int NumLayers { get; init; }

    /// <summary>Query heads.</summary>
    public required int NumHeads { get; init; }

    /// <summary>Key/value heads (grouped-query attention when fewer than <see cref="NumHeads"/>).</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Width of one head; <see cref="HiddenSize"/> / <see cref="NumHeads"/> unless the config says otherwise.</summary>
    public int HeadDim => HeadDimOverride ?? HiddenSize / NumHeads;

    /// <summary>An explicit <c>head_dim</c> from the config, or null.</summary>
    public int? HeadDimOverride { get; init; }

    /// <summary>Longest sequence the model was trained for (<c>max_position_embeddings</c>).</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = 1e-5;

    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>The output head reuses the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>q/k/v projections have a bias (Qwen2).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>
    /// Checks the sizes fit together.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, or heads do not divide evenly.</exception>
    public void Validate()
    {
        if (VocabSize <= 0 || HiddenSize <= 0 || IntermediateSize <= 0 || NumLayers <= 0 || NumHeads <= 0 || NumKeyValueHeads <= 0)
        {
            throw new ArgumentException($"every size must be positive: {this}");
        }
        if (NumHeads % NumKeyValueHeads != 0)
        {
            throw new ArgumentException($"num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads}).");
        }
        if (HeadDimOverride is null && HiddenSize % NumHeads != 0)
        {
            throw new ArgumentException($"hidden_size ({HiddenSize}) must be a multiple of num_attention_heads ({NumHeads}), or set head_dim.");
        }
        if (HeadDim % 2 != 0)
        {
            throw new ArgumentException($"head_dim ({HeadDim}) must be even for rotary embeddings.");
        }
    }

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> of a Llama, Mistral, Qwen2 or Phi-3 model (Phi-3's fused projections are
    /// split when its weights are loaded).
    /// </summary>
    /// <param name="json">The file's text.</param>
    /// <returns>The config.</returns>
    /// <exception cref="FormatException">A required field is missing, or the architecture is not Llama-family.</exception>
    public static LlamaConfig FromHfConfigJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var modelType = root.TryGetProperty("model_type", out var mt) ? mt.GetString() : null;
        if (modelType is not ("llama" or "qwen2" or "mistral" or "phi3"))
        {
            throw new FormatException($"config.json: model_type \"{modelType}\" is not supported; Llama-family models are (llama, qwen2, mistral, phi3), and HfModelLoader also reads \"opt\".");
        }
        if (root.TryGetProperty("rope_scaling", out var scaling) && scaling.ValueKind != JsonValueKind.Null)
        {
            throw new FormatException("config.json: rope_scaling is set; scaled rotary embeddings (long-context variants) are not supported yet — use a model without rope_scaling.");
        }
        int Required(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt32()
            : throw new FormatException($"config.json: required field \"{name}\" is missing or not a number.");
        var heads = Required("num_attention_heads");
        var config = new LlamaConfig
        {
            VocabSize = Required("vocab_size"),
            HiddenSize = Required("hidden_size"),
            IntermediateSize = Required("intermediate_size"),
            NumLayers = Required("num_hidden_layers"),
            NumHeads = heads,
            NumKeyValueHeads = root.TryGetProperty("num_key_value_heads", out var kv) && kv.ValueKind == JsonValueKind.Number ? kv.GetInt32() : heads,
            HeadDimOverride = root.TryGetProperty("head_dim", out var hd) && hd.ValueKind == JsonValueKind.Number ? hd.GetInt32() : null,
            MaxPositionEmbeddings = root.TryGetProperty("max_position_embeddings", out var mp) ? mp.GetInt32() : 2048,
            RmsNormEps = root.TryGetProperty("rms_norm_eps", out var eps) ? eps.GetDouble() : 1e-6,
            RopeTheta = root.TryGetProperty("rope_theta", out var theta) ? theta.GetDouble() : 10000.0,
            TieWordEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind == JsonValueKind.True,
            AttentionBias = modelType == "qwen2" || (root.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True),
        };
        config.Validate();
        return config;
    }
}
