using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// One OPT decoder layer: self-attention and a ReLU MLP (<c>fc2(relu(fc1(x)))</c>), each with dropout and a residual
/// add; layer norm before each block (pre-LN) or after each residual add (post-LN, opt-350m), as
/// <see cref="OptConfig.DoLayerNormBefore"/> says. <c>fc1</c> and <c>fc2</c> sit on the layer itself, as in HF.
/// </summary>
/// <example>
/// <code>
/// using var layer = new OptDecoderLayer(config);
/// using var y = layer.call(hidden, inputs);
/// </code>
/// </example>
public sealed class OptDecoderLayer : nn.Module<Tensor, AttentionInputs, Tensor>, IProjectionHost
{
    private static readonly string[] Names = ["fc1", "fc2"];
    private readonly bool preLayerNorm;
    private readonly double dropout;
    private readonly double activationDropout;
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly OptAttention self_attn;
    private readonly LayerNorm self_attn_layer_norm;
    private nn.Module<Tensor, Tensor> fc1;
    private nn.Module<Tensor, Tensor> fc2;
    private readonly LayerNorm final_layer_norm;
#pragma warning restore IDE1006

    /// <summary>Creates the layer (PyTorch's default initialisation).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public OptDecoderLayer(OptConfig config, Device? device = null) : base(nameof(OptDecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        preLayerNorm = config.DoLayerNormBefore;
        dropout = config.Dropout;
        activationDropout = config.ActivationDropout;
        self_attn = new OptAttention(config, device);
        self_attn_layer_norm = NewLayerNorm(config, device);
        fc1 = nn.Linear(config.HiddenSize, config.FfnDim, hasBias: config.EnableBias, device: device);
        fc2 = nn.Linear(config.FfnDim, config.HiddenSize, hasBias: config.EnableBias, device: device);
        final_layer_norm = NewLayerNorm(config, device);
        RegisterComponents();
    }

    /// <summary>The attention block.</summary>
    public OptAttention SelfAttention => self_attn;

    /// <summary>The norm of the attention block.</summary>
    public LayerNorm SelfAttentionLayerNorm => self_attn_layer_norm;

    /// <summary>The norm of the MLP block (HF calls it the layer's <c>final_layer_norm</c>).</summary>
    public LayerNorm FinalLayerNorm => final_layer_norm;

    /// <inheritdoc/>
    public IReadOnlyList<string> ProjectionNames => Names;

    /// <inheritdoc/>
    public nn.Module<Tensor, Tensor> GetProjection(string name) => name switch
    {
        "fc1" => fc1,
        "fc2" => fc2,
        _ => throw new ArgumentException($"the OPT layer has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <inheritdoc/>
    public void SetProjection(string name, nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        switch (name)
        {
            case "fc1": fc1 = module; break;
            case "fc2": fc2 = module; break;
            default: throw new ArgumentException($"the OPT layer has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name));
        }
        register_module(name, null!);
        register_module(name, module);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        var residual = hidden;
        var x = preLayerNorm ? Norm(self_attn_layer_norm, hidden) : hidden;
        x = nn.functional.dropout(self_attn.call(x, inputs), dropout, training);
        x = residual + x;
        if (!preLayerNorm)
        {
            x = Norm(self_attn_layer_norm, x);
        }

        residual = x;
        if (preLayerNorm)
        {
            x = Norm(final_layer_norm, x);
        }
        x = nn.functional.dropout(nn.functional.relu(fc1.call(x)), activationDropout, training);
        x = nn.functional.dropout(fc2.call(x), dropout, training);
        x = residual + x;
        if (!preLayerNorm)
        {
            x = Norm(final_layer_norm, x);
        }
        return x.MoveToOuterDisposeScope();
    }

    internal static LayerNorm NewLayerNorm(OptConfig config, Device? device) =>
        nn.LayerNorm(config.HiddenSize, 1e-5, elementwise_affine: config.LayerNormElementwiseAffine, device: device);

    /// <summary>Layer norm in the norm's own dtype (float32 after <c>KbitTraining.Prepare</c>), cast back to the
    /// input's, so 16-bit activations meet float32 norm weights without a dtype error.</summary>
    internal static Tensor Norm(LayerNorm norm, Tensor x)
    {
        var dtype = norm.weight?.dtype ?? x.dtype;
        return x.dtype == dtype ? norm.call(x) : norm.call(x.to_type(dtype)).to_type(x.dtype);
    }
}
