using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// The Llama decoder stack without the output head: token embedding, decoder layers, final RMSNorm
/// (state-dict prefix <c>model.</c> inside <see cref="LlamaForCausalLM"/>).
/// </summary>
/// <example>
/// <code>
/// using var hidden = causalLm.Model.call(inputIds, positionIds, paddingMask); // [batch, seq, HiddenSize]
/// </code>
/// </example>
public sealed class LlamaModel : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly RotaryEmbedding rotary;
    private readonly RotaryEmbedding? localRotary;
    private readonly double embeddingScale;
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006

    /// <summary>Creates the stack (PyTorch's default initialisation).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public LlamaModel(LlamaConfig config, Device? device = null) : base(nameof(LlamaModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
        if (config.SlidingWindow is not null)
        {
            localRotary = new RotaryEmbedding(config.HeadDim, config.RopeLocalTheta ?? config.RopeTheta);
        }
        // Gemma multiplies by √hidden rounded to the weights' dtype (float32 here)
        embeddingScale = config.GemmaLayout ? (float)Math.Sqrt(config.HiddenSize) : 1.0;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device);
        layers = new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, config.NumLayers).Select(_ => new LlamaDecoderLayer(config, device)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, config.GemmaLayout);
        RegisterComponents();
    }

    /// <summary>The model shape.</summary>
    public LlamaConfig Config { get; internal set; }

    /// <summary>The token embedding.</summary>
    public Embedding EmbedTokens => embed_tokens;

    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => [.. layers];

    /// <summary>The final norm.</summary>
    public RmsNorm Norm => norm;

    /// <summary>Recompute each layer in backward instead of keeping its activations (see <see cref="ActivationCheckpoint"/>).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Runs the stack.</summary>
    /// <param name="inputIds"><c>[batch, seq]</c> int64 token ids.</param>
    /// <param name="positionIds"><c>[batch, seq]</c> positions; null for <c>0..seq-1</c>. In packed rows each sequence
    /// restarts at 0 and attends only within itself.</param>
    /// <param name="paddingMask"><c>[batch, seq]</c>, 1 for tokens and 0 for padding; null when there is none.</param>
    /// <returns>Hidden states <c>[batch, seq, HiddenSize]</c>.</returns>
    public override Tensor forward(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var positions = positionIds ?? AttentionMask.DefaultPositions(inputIds);
        var hidden = embed_tokens.call(inputIds);
        if (embeddingScale != 1.0)
        {
            hidden = hidden * embeddingScale;
        }
        var (cos, sin) = rotary.Angles(positions, hidden.dtype);
        // without position_ids or padding every row is one causal sequence: no mask to build, read or differentiate
        var plainCausal = positionIds is null && paddingMask is null;
        var inputs = new AttentionInputs(cos, sin, plainCausal ? null : AttentionMask.Build(positions, paddingMask));
        AttentionInputs? local = null;
        if (localRotary is not null && Config.SlidingWindow is int window)
        {
            var (localCos, localSin) = localRotary.Angles(positions, hidden.dtype);
            local = new AttentionInputs(localCos, localSin, AttentionMask.Build(positions, paddingMask, window));
        }
        for (var i = 0; i < layers.Count; i++)
        {
            var layerInputs = local is not null && Config.IsSlidingLayer(i) ? local : inputs;
            hidden = GradientCheckpointing && training ? ActivationCheckpoint.Run(layers[i], hidden, layerInputs) : layers[i].call(hidden, layerInputs);
        }
        return norm.call(hidden).MoveToOuterDisposeScope();
    }
}
