using System.Text.Json;

namespace Parley.Training.Models;

/// <summary>
/// The shape of a Llama-family decoder (Llama, Mistral, Qwen2, Phi-3, Qwen3, Gemma-3, llama2.c): sizes, heads, RoPE base
/// and scaling, norm epsilon, whether the output head shares the token embedding, whether q/k/v projections carry a bias
/// (Qwen2), and the variations Qwen3 and Gemma-3 add to the Llama layer — per-head q/k RMSNorm, Gemma's
/// <c>1 + weight</c> norms, embedding scale, GeGLU, extra norms around attention and MLP, query scaling, and
/// sliding-window layers with their own RoPE base.
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

    /// <summary>The HF <c>model_type</c> the config came from ("llama" for configs built in code).</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>The MLP gate activation: "silu" (SwiGLU) or "gelu_pytorch_tanh" (Gemma's GeGLU).</summary>
    public string HiddenActivation { get; init; } = "silu";

    /// <summary>Queries and keys pass an RMSNorm over each head before RoPE (<c>q_norm</c>, <c>k_norm</c>; Qwen3, Gemma-3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Gemma's layout: every RMSNorm scales by <c>1 + weight</c> (weights start at zero), the embedding is
    /// multiplied by √<see cref="HiddenSize"/>, and attention and MLP outputs are normed before their residual adds
    /// (<c>post_attention_layernorm</c>, <c>pre_feedforward_layernorm</c>, <c>post_feedforward_layernorm</c>).</summary>
    public bool GemmaLayout { get; init; }

    /// <summary>Attention scores are scaled by <c>QueryPreAttnScalar^-0.5</c> instead of <c>HeadDim^-0.5</c> (Gemma), or null.</summary>
    public double? QueryPreAttnScalar { get; init; }

    /// <summary>Tokens a sliding-window layer may look back over, itself included (Gemma-3 <c>sliding_window</c>), or null.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>With <see cref="SlidingWindow"/>: every <c>n</c>-th layer is global, the others slide (Gemma-3's 6 = five
    /// local layers, then one global); 0 = no sliding layers.</summary>
    public int SlidingWindowPattern { get; init; }

    /// <summary>The RoPE base of sliding-window layers (Gemma-3 <c>rope_local_base_freq</c>); null: <see cref="RopeTheta"/>.</summary>
    public double? RopeLocalTheta { get; init; }

    /// <summary>The <c>rope_scaling</c> of global layers, or null.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Whether decoder layer <paramref name="layer"/> attends through a sliding window.</summary>
    /// <param name="layer">0-based layer index.</param>
    /// <returns>True for a sliding-window (local) layer.</returns>
    public bool IsSlidingLayer(int layer) => SlidingWindow is not null && SlidingWindowPattern > 0 && (layer + 1) % SlidingWindowPattern != 0;

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
        if (HiddenActivation is not ("silu" or "gelu_pytorch_tanh"))
        {
            throw new ArgumentException($"hidden activation \"{HiddenActivation}\" is not supported; use \"silu\" or \"gelu_pytorch_tanh\".");
        }
        if (HeadDim % 2 != 0)
        {
            throw new ArgumentException($"head_dim ({HeadDim}) must be even for rotary embeddings.");
        }
    }

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> of a Llama (with or without <c>rope_scaling</c> "llama3"), Mistral, Qwen2,
    /// Qwen3, Gemma-3 text (<c>gemma3_text</c>) or Phi-3 model (Phi-3's fused projections are split when its weights are
    /// loaded).
    /// </summary>
    /// <param name="json">The file's text.</param>
    /// <returns>The config.</returns>
    /// <exception cref="FormatException">A required field is missing, or the architecture or one of its options is not supported.</exception>
    public static LlamaConfig FromHfConfigJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var modelType = root.TryGetProperty("model_type", out var mt) ? mt.GetString() : null;
        if (modelType == "gemma3")
        {
            throw new FormatException("config.json: model_type \"gemma3\" is Gemma-3's image-text model (text_config inside); Parley trains the text-only \"gemma3_text\" checkpoints (gemma-3-270m, gemma-3-1b).");
        }
        if (modelType is not ("llama" or "qwen2" or "mistral" or "phi3" or "qwen3" or "gemma3_text"))
        {
            throw new FormatException($"config.json: model_type \"{modelType}\" is not supported; Llama-family models are (llama, qwen2, mistral, phi3, qwen3, gemma3_text), and HfModelLoader also reads \"opt\".");
        }
        var gemma = modelType == "gemma3_text";
        int Required(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt32()
            : throw new FormatException($"config.json: required field \"{name}\" is missing or not a number.");
        bool Has(string name, out JsonElement v) => root.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null;
        foreach (var cap in (string[])["final_logit_softcapping", "attn_logit_softcapping"])
        {
            if (Has(cap, out _))
            {
                throw new FormatException($"config.json: {cap} is set; logit soft-capping (Gemma-2) is not supported — Gemma-3 sets it to null.");
            }
        }
        if (modelType == "qwen3" && root.TryGetProperty("use_sliding_window", out var usw) && usw.ValueKind == JsonValueKind.True)
        {
            throw new FormatException("config.json: use_sliding_window is true; Qwen3 sliding-window attention is not supported (every released Qwen3 sets it false).");
        }
        var heads = Required("num_attention_heads");
        var layers = Required("num_hidden_layers");
        var activation = Has("hidden_activation", out var act) ? act.GetString()! : Has("hidden_act", out var act2) ? act2.GetString()! : gemma ? "gelu_pytorch_tanh" : "silu";
        if (activation is not ("silu" or "gelu_pytorch_tanh"))
        {
            throw new FormatException($"config.json: the MLP activation \"{activation}\" is not supported; Parley runs \"silu\" (SwiGLU) and \"gelu_pytorch_tanh\" (GeGLU).");
        }
        int? slidingWindow = gemma ? (Has("sliding_window", out var sw) ? sw.GetInt32() : 4096) : null;
        var config = new LlamaConfig
        {
            ModelType = modelType,
            VocabSize = Required("vocab_size"),
            HiddenSize = Required("hidden_size"),
            IntermediateSize = Required("intermediate_size"),
            NumLayers = layers,
            NumHeads = heads,
            NumKeyValueHeads = Has("num_key_value_heads", out var kv) ? kv.GetInt32() : heads,
            HeadDimOverride = Has("head_dim", out var hd) ? hd.GetInt32() : gemma ? 256 : null,
            MaxPositionEmbeddings = Has("max_position_embeddings", out var mp) ? mp.GetInt32() : 2048,
            RmsNormEps = Has("rms_norm_eps", out var eps) ? eps.GetDouble() : 1e-6,
            RopeTheta = Has("rope_theta", out var theta) ? theta.GetDouble() : gemma ? 1_000_000.0 : 10000.0,
            RopeScaling = root.TryGetProperty("rope_scaling", out var scaling) ? RopeScaling.FromJson(scaling) : null,
            // Gemma3TextConfig ties the head by default; the others untie it unless the file says otherwise
            TieWordEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tie) ? tie.ValueKind == JsonValueKind.True : gemma,
            AttentionBias = modelType == "qwen2" || (root.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True),
            HiddenActivation = activation,
            QkNorm = modelType is "qwen3" or "gemma3_text",
            GemmaLayout = gemma,
            QueryPreAttnScalar = gemma ? (Has("query_pre_attn_scalar", out var qs) ? qs.GetDouble() : 256) : null,
            SlidingWindow = slidingWindow,
            SlidingWindowPattern = gemma ? GemmaSlidingPattern(root, layers) : 0,
            RopeLocalTheta = gemma ? (Has("rope_local_base_freq", out var local) ? local.GetDouble() : 10000.0) : null,
        };
        config.Validate();
        return config;
    }

    /// <summary>Gemma-3's period of global layers: from <c>layer_types</c> when present (it must repeat
    /// sliding…sliding, full), else <c>sliding_window_pattern</c> (default 6).</summary>
    private static int GemmaSlidingPattern(JsonElement root, int layers)
    {
        if (!root.TryGetProperty("layer_types", out var types) || types.ValueKind != JsonValueKind.Array)
        {
            return root.TryGetProperty("sliding_window_pattern", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 6;
        }
        var kinds = types.EnumerateArray().Select(t => t.GetString()).ToList();
        if (kinds.Count != layers || kinds.Any(k => k is not ("sliding_attention" or "full_attention")))
        {
            throw new FormatException($"config.json: layer_types must list \"sliding_attention\" or \"full_attention\" for each of the {layers} layers.");
        }
        var firstFull = kinds.IndexOf("full_attention");
        var pattern = firstFull < 0 ? layers + 1 : firstFull + 1;
        for (var i = 0; i < layers; i++)
        {
            if ((kinds[i] == "sliding_attention") != ((i + 1) % pattern != 0))
            {
                throw new FormatException($"config.json: layer_types is not periodic (layer {i} is {kinds[i]}); Parley expects every {pattern}th layer to be full_attention, as Gemma-3 has it.");
            }
        }
        return pattern;
    }
}
