using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>The gated feed-forward block: <c>down_proj(act(gate_proj(x)) * up_proj(x))</c> with SiLU (SwiGLU) or
/// tanh-approximated GELU (Gemma's GeGLU).</summary>
/// <example>
/// <code>
/// using var mlp = new LlamaMlp(config);
/// using var y = mlp.call(hidden);
/// </code>
/// </example>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>, IProjectionHost
{
    private static readonly string[] Names = ["gate_proj", "up_proj", "down_proj"];
#pragma warning disable IDE1006 // field names are the state-dict names
    private nn.Module<Tensor, Tensor> gate_proj;
    private nn.Module<Tensor, Tensor> up_proj;
    private nn.Module<Tensor, Tensor> down_proj;
#pragma warning restore IDE1006
    private readonly bool gelu;

    /// <summary>Creates the projections (PyTorch's default initialisation).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public LlamaMlp(LlamaConfig config, Device? device = null) : base(nameof(LlamaMlp))
    {
        ArgumentNullException.ThrowIfNull(config);
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device: device);
        gelu = config.HiddenActivation == "gelu_pytorch_tanh";
        RegisterComponents();
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ProjectionNames => Names;

    /// <inheritdoc/>
    public nn.Module<Tensor, Tensor> GetProjection(string name) => name switch
    {
        "gate_proj" => gate_proj,
        "up_proj" => up_proj,
        "down_proj" => down_proj,
        _ => throw new ArgumentException($"the MLP has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <inheritdoc/>
    public void SetProjection(string name, nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        switch (name)
        {
            case "gate_proj": gate_proj = module; break;
            case "up_proj": up_proj = module; break;
            case "down_proj": down_proj = module; break;
            default: throw new ArgumentException($"the MLP has no projection \"{name}\"; it has {string.Join(", ", Names)}.", nameof(name));
        }
        register_module(name, null!);
        register_module(name, module);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gate = gate_proj.call(input);
        var gated = (gelu ? nn.functional.gelu(gate, TorchSharp.Modules.GELU.Approximate.tanh, inplace: false) : nn.functional.silu(gate)) * up_proj.call(input);
        return down_proj.call(gated).MoveToOuterDisposeScope();
    }
}
