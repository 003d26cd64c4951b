using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>One pre-norm decoder layer: <c>x + attn(norm(x))</c>, then <c>x + mlp(norm(x))</c>; in Gemma's layout the
/// attention and MLP outputs are normed too before their residual adds (<c>post_attention_layernorm</c>,
/// <c>post_feedforward_layernorm</c>, with <c>pre_feedforward_layernorm</c> before the MLP).</summary>
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
    private readonly RmsNorm? pre_feedforward_layernorm;
    private readonly RmsNorm? post_feedforward_layernorm;
#pragma warning restore IDE1006

    /// <summary>Creates the layer.</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public LlamaDecoderLayer(LlamaConfig config, Device? device = null) : base(nameof(LlamaDecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        var gemma = config.GemmaLayout;
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, gemma);
        self_attn = new LlamaAttention(config, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, gemma);
        mlp = new LlamaMlp(config, device);
        if (gemma)
        {
            pre_feedforward_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, addOne: true);
            post_feedforward_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, addOne: true);
        }
        RegisterComponents();
    }

    /// <summary>The attention block.</summary>
    public LlamaAttention SelfAttention => self_attn;

    /// <summary>The feed-forward block.</summary>
    public LlamaMlp Mlp => mlp;

    /// <summary>The norm before attention.</summary>
    public RmsNorm InputLayerNorm => input_layernorm;

    /// <summary>The norm before the MLP (Llama) or on the attention output (Gemma).</summary>
    public RmsNorm PostAttentionLayerNorm => post_attention_layernorm;

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        if (pre_feedforward_layernorm is not null && post_feedforward_layernorm is not null)
        {
            var attended = hidden + post_attention_layernorm.call(self_attn.call(input_layernorm.call(hidden), inputs));
            return (attended + post_feedforward_layernorm.call(mlp.call(pre_feedforward_layernorm.call(attended)))).MoveToOuterDisposeScope();
        }
        var h = hidden + self_attn.call(input_layernorm.call(hidden), inputs);
        return (h + mlp.call(post_attention_layernorm.call(h))).MoveToOuterDisposeScope();
    }
}
