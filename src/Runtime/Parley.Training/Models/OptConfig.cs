using System.Text.Json;

namespace Parley.Training.Models;

/// <summary>
/// The shape of an OPT decoder (facebook/opt-125m … opt-66b, opt-350m): sizes, heads, learned positions, whether layer
/// norm comes before each block (pre-LN, most sizes) or after it (post-LN, opt-350m), and the word-embedding width,
/// which when it differs from <see cref="HiddenSize"/> adds <c>project_in</c>/<c>project_out</c> (opt-350m: 512 vs 1024).
/// </summary>
/// <example>
/// <code>
/// var opt350m = new OptConfig { VocabSize = 50272, HiddenSize = 1024, FfnDim = 4096, NumLayers = 24, NumHeads = 16,
///                               WordEmbedProjDim = 512, DoLayerNormBefore = false };
/// var fromHf = OptConfig.FromHfConfigJson(File.ReadAllText("config.json"));
/// </code>
/// </example>
public sealed record OptConfig
{
    /// <summary>Tokens in the vocabulary (<c>vocab_size</c>).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Model width (<c>hidden_size</c>).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Inner width of the ReLU MLP (<c>ffn_dim</c>).</summary>
    public required int FfnDim { get; init; }

    /// <summary>Decoder layers (<c>num_hidden_layers</c>).</summary>
    public required int NumLayers { get; init; }

    /// <summary>Attention heads (<c>num_attention_heads</c>).</summary>
    public required int NumHeads { get; init; }

    /// <summary>Width of the token embedding (<c>word_embed_proj_dim</c>); <see cref="HiddenSize"/> when null.</summary>
    public int? WordEmbedProjDimOverride { get; init; }

    /// <summary>The token embedding width.</summary>
    public int WordEmbedProjDim => WordEmbedProjDimOverride ?? HiddenSize;

    /// <summary>Whether <c>project_in</c>/<c>project_out</c> exist (the embedding is narrower or wider than the model).</summary>
    public bool HasProjections => WordEmbedProjDim != HiddenSize;

    /// <summary>Width of one head.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Longest sequence (<c>max_position_embeddings</c>); the position table has two more rows (offset 2).</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Layer norm before attention and MLP (pre-LN, true for most OPT sizes) or after the residual add
    /// (post-LN, opt-350m).</summary>
    public bool DoLayerNormBefore { get; init; } = true;

    /// <summary>HF's <c>_remove_final_layer_norm</c>: drop the decoder's final layer norm even when pre-LN (some
    /// converted checkpoints).</summary>
    public bool RemoveFinalLayerNorm { get; init; }

    /// <summary>Whether the decoder ends with <c>final_layer_norm</c> (only pre-LN models have one).</summary>
    public bool HasFinalLayerNorm => DoLayerNormBefore && !RemoveFinalLayerNorm;

    /// <summary>Biases on the attention projections and <c>fc1</c>/<c>fc2</c> (<c>enable_bias</c>).</summary>
    public bool EnableBias { get; init; } = true;

    /// <summary>Layer norms have weight and bias (<c>layer_norm_elementwise_affine</c>).</summary>
    public bool LayerNormElementwiseAffine { get; init; } = true;

    /// <summary>Dropout on each block's output before the residual add, while training (<c>dropout</c>, 0.1).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Dropout on attention probabilities while training (<c>attention_dropout</c>).</summary>
    public double AttentionDropout { get; init; }

    /// <summary>Dropout after the ReLU while training (<c>activation_dropout</c>).</summary>
    public double ActivationDropout { get; init; }

    /// <summary>The padding token (<c>pad_token_id</c>, 1): its embedding row gets no gradient, as in HF.</summary>
    public int? PadTokenId { get; init; } = 1;

    /// <summary>The output head reuses the token embedding (true for every released OPT).</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Checks the sizes fit together.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the heads do not divide the width.</exception>
    public void Validate()
    {
        if (VocabSize <= 0 || HiddenSize <= 0 || FfnDim <= 0 || NumLayers <= 0 || NumHeads <= 0 || WordEmbedProjDim <= 0 || MaxPositionEmbeddings <= 0)
        {
            throw new ArgumentException($"every size must be positive: {this}");
        }
        if (HiddenSize % NumHeads != 0)
        {
            throw new ArgumentException($"hidden_size ({HiddenSize}) must be a multiple of num_attention_heads ({NumHeads}).");
        }
    }

    /// <summary>Reads a Hugging Face <c>config.json</c> with <c>model_type</c> "opt".</summary>
    /// <param name="json">The file's text.</param>
    /// <returns>The config.</returns>
    /// <exception cref="FormatException">A required field is missing, the model type is not "opt", or the activation
    /// is not ReLU.</exception>
    public static OptConfig FromHfConfigJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var modelType = root.TryGetProperty("model_type", out var mt) ? mt.GetString() : null;
        if (modelType != "opt")
        {
            throw new FormatException($"config.json: model_type \"{modelType}\" is not \"opt\".");
        }
        var activation = root.TryGetProperty("activation_function", out var act) ? act.GetString() : "relu";
        if (activation != "relu")
        {
            throw new FormatException($"config.json: activation_function \"{activation}\" is not supported for OPT; every released OPT uses \"relu\".");
        }
        int Required(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt32()
            : throw new FormatException($"config.json: required field \"{name}\" is missing or not a number.");
        int? OptionalInt(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        double Number(string name, double fallback) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        bool Flag(string name, bool fallback) => root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
        var config = new OptConfig
        {
            VocabSize = Required("vocab_size"),
            HiddenSize = Required("hidden_size"),
            FfnDim = Required("ffn_dim"),
            NumLayers = Required("num_hidden_layers"),
            NumHeads = Required("num_attention_heads"),
            WordEmbedProjDimOverride = OptionalInt("word_embed_proj_dim"),
            MaxPositionEmbeddings = OptionalInt("max_position_embeddings") ?? 2048,
            DoLayerNormBefore = Flag("do_layer_norm_before", true),
            RemoveFinalLayerNorm = Flag("_remove_final_layer_norm", false),
            EnableBias = Flag("enable_bias", true),
            LayerNormElementwiseAffine = Flag("layer_norm_elementwise_affine", true),
            Dropout = Number("dropout", 0.1),
            AttentionDropout = Number("attention_dropout", 0.0),
            ActivationDropout = Number("activation_dropout", 0.0),
            PadTokenId = root.TryGetProperty("pad_token_id", out var pad) ? (pad.ValueKind == JsonValueKind.Number ? pad.GetInt32() : null) : 1,
            TieWordEmbeddings = Flag("tie_word_embeddings", true),
        };
        config.Validate();
        return config;
    }
}
