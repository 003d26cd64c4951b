using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// OPT's multi-head self-attention: <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c>, all with biases
/// (<see cref="OptConfig.EnableBias"/>), scores scaled by <c>1/sqrt(headDim)</c>, no rotary embedding (positions are
/// added to the input once, in <see cref="OptDecoder"/>).
/// </summary>
/// <example>
/// <code>
/// using var attention = new OptAttention(config);
/// using var y = attention.call(hidden, new AttentionInputs(null, null, mask)); // hidden: [batch, seq, HiddenSize]
/// </code>
/// </example>
public sealed class OptAttention : nn.Module<Tensor, AttentionInputs, Tensor>, IProjectionHost
{
    private static readonly string[] Names = ["q_proj", "k_proj", "v_proj", "out_proj"];
    private readonly int heads;
    private readonly int headDim;
    private readonly double dropout;
#pragma warning disable IDE1006 // field names are the state-dict names
    private nn.Module<Tensor, Tensor> q_proj;
    private nn.Module<Tensor, Tensor> k_proj;
    private nn.Module<Tensor, Tensor> v_proj;
    private nn.Module<Tensor, Tensor> out_proj;
#pragma warning restore IDE1006

    /// <summary>Creates the projections (PyTorch's default initialisation).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public OptAttention(OptConfig config, Device? device = null) : base(nameof(OptAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        heads = config.NumHeads;
        headDim = config.HeadDim;
        dropout = config.AttentionDropout;
        q_proj = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.EnableBias, device: device);
        k_proj = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.EnableBias, device: device);
        v_proj = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.EnableBias, device: device);
        out_proj = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.EnableBias, device: device);
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
        "out_proj" => out_proj,
        _ => throw new ArgumentException($"OPT attention has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name)),
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
            case "out_proj": out_proj = module; break;
            default: throw new ArgumentException($"OPT attention has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name));
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
        var q = q_proj.call(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        // sdpa's default scale is HF OPT's scaling (head_dim ** -0.5, applied to q there)
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, inputs.Mask, training ? dropout : 0.0, is_casual: inputs.Mask is null);
        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim);
        return out_proj.call(merged).MoveToOuterDisposeScope();
    }
}
