using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>One pre-norm decoder layer: <c>x + attn(norm(x))</c>, then <c>x + mlp(norm(x))</c>.</summary>
/// <example>
/// <code>
/// using var layer = new LlamaDecoderLayer(config);
/// using var y = layer.call(hidden, inputs);
/// </code>
/// </example>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, AttentionInputs, Tensor>
{
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;
#pragma warning restore IDE1006

    /// <summary>Creates the layer.</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public LlamaDecoderLayer(LlamaConfig config, Device? device = null) : base(nameof(LlamaDecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device);
        self_attn = new LlamaAttention(config, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device);
        mlp = new LlamaMlp(config, device);
        RegisterComponents();
    }

    /// <summary>The attention block.</summary>
    public LlamaAttention SelfAttention => self_attn;

    /// <summary>The feed-forward block.</summary>
    public LlamaMlp Mlp => mlp;

    /// <summary>The norm before attention.</summary>
    public RmsNorm InputLayerNorm => input_layernorm;

    /// <summary>The norm before the MLP.</summary>
    public RmsNorm PostAttentionLayerNorm => post_attention_layernorm;

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        var h = hidden + self_attn.call(input_layernorm.call(hidden), inputs);
        return (h + mlp.call(post_attention_layernorm.call(h))).MoveToOuterDisposeScope();
    }
}
