using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Grouped-query self-attention with rotary embeddings: <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c>;
/// each key/value head serves <c>NumHeads / NumKeyValueHeads</c> consecutive query heads.
/// </summary>
/// <example>
/// <code>
/// using var attention = new LlamaAttention(config);
/// using var y = attention.call(hidden, inputs); // hidden: [batch, seq, HiddenSize]
/// </code>
/// </example>
public sealed class LlamaAttention : nn.Module<Tensor, AttentionInputs, Tensor>, IProjectionHost
{
    private static readonly string[] Names = ["q_proj", "k_proj", "v_proj", "o_proj"];
    private readonly int heads;
    private readonly int kvHeads;
    private readonly int headDim;
#pragma warning disable IDE1006 // field names are the state-dict names
    private nn.Module<Tensor, Tensor> q_proj;
    private nn.Module<Tensor, Tensor> k_proj;
    private nn.Module<Tensor, Tensor> v_proj;
    private nn.Module<Tensor, Tensor> o_proj;
    private readonly RmsNorm? q_norm;
    private readonly RmsNorm? k_norm;
#pragma warning restore IDE1006
    // SDPA divides scores by √headDim; a model scaling by another factor (Gemma's query_pre_attn_scalar) pre-multiplies q
    private readonly double queryFactor;

    /// <summary>Creates the projections (PyTorch's default initialisation).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public LlamaAttention(LlamaConfig config, Device? device = null) : base(nameof(LlamaAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        heads = config.NumHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, heads * headDim, hasBias: config.AttentionBias, device: device);
        k_proj = nn.Linear(config.HiddenSize, kvHeads * headDim, hasBias: config.AttentionBias, device: device);
        v_proj = nn.Linear(config.HiddenSize, kvHeads * headDim, hasBias: config.AttentionBias, device: device);
        o_proj = nn.Linear(heads * headDim, config.HiddenSize, hasBias: false, device: device);
        if (config.QkNorm)
        {
            q_norm = new RmsNorm(headDim, config.RmsNormEps, device, addOne: config.GemmaLayout);
            k_norm = new RmsNorm(headDim, config.RmsNormEps, device, addOne: config.GemmaLayout);
        }
        queryFactor = config.QueryPreAttnScalar is double scalar ? Math.Sqrt(headDim / scalar) : 1.0;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ProjectionNames => Names;

    /// <inheritdoc/>
    public nn.Module<Tensor, Tensor> GetProjection(string name) => name switch
    {
        "q_proj" => q_proj,
        "k_proj" => k_proj,
        "v_proj" => v_proj,
        "o_proj" => o_proj,
        _ => throw new ArgumentException($"attention has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <inheritdoc/>
    public void SetProjection(string name, nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        switch (name)
        {
            case "q_proj": q_proj = module; break;
            case "k_proj": k_proj = module; break;
            case "v_proj": v_proj = module; break;
            case "o_proj": o_proj = module; break;
            default: throw new ArgumentException($"attention has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name));
        }
        register_module(name, null!);
        register_module(name, module);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var length = hidden.shape[1];
        var q = q_proj.call(hidden).view(batch, length, heads, headDim);
        var k = k_proj.call(hidden).view(batch, length, kvHeads, headDim);
        if (q_norm is not null && k_norm is not null)
        {
            q = q_norm.call(q); // over each head's width, before RoPE
            k = k_norm.call(k);
        }
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        var v = v_proj.call(hidden).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var cos = inputs.Cos ?? throw new ArgumentException("Llama attention needs rotary angles (AttentionInputs.Cos/Sin).", nameof(inputs));
        var sin = inputs.Sin ?? throw new ArgumentException("Llama attention needs rotary angles (AttentionInputs.Cos/Sin).", nameof(inputs));
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (queryFactor != 1.0)
        {
            q = q * queryFactor;
        }
        if (heads != kvHeads)
        {
            k = k.repeat_interleave(heads / kvHeads, dim: 1);
            v = v.repeat_interleave(heads / kvHeads, dim: 1);
        }
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, inputs.Mask, is_casual: inputs.Mask is null);
        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim);
        return o_proj.call(merged).MoveToOuterDisposeScope();
    }
}
