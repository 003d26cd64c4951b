using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// OPT as a causal language model (facebook/opt-125m … opt-350m …; the seed notebook's base model): an
/// <see cref="OptModel"/> and an output head tied to the token embedding (or a separate <c>lm_head</c> when the config
/// unties it). State-dict names follow Hugging Face (<c>model.decoder.layers.0.self_attn.q_proj.weight</c> …), so
/// <see cref="HfModelLoader"/> loads HF folders and PEFT adapters get HF's key names.
/// LoRA targets for OPT: <see cref="Lora.LoraConfig.OptProjections"/>.
/// </summary>
/// <example>
/// <code>
/// using var opt = (OptForCausalLM)HfModelLoader.Load("models/opt-350m");
/// using var logits = opt.call(inputIds, null, paddingMask); // [batch, seq, VocabSize]
/// </code>
/// </example>
public sealed class OptForCausalLM : CausalLanguageModel
{
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly OptModel model;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006

    /// <summary>Creates the model with PyTorch's default initialisation (seed with <c>torch.manual_seed</c>).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public OptForCausalLM(OptConfig config, Device? device = null) : base(nameof(OptForCausalLM))
    {
        ArgumentNullException.ThrowIfNull(config);
        model = new OptModel(config, device);
        if (!config.TieWordEmbeddings)
        {
            lm_head = nn.Linear(config.WordEmbedProjDim, config.VocabSize, hasBias: false, device: device);
        }
        RegisterComponents();
    }

    /// <summary>The model shape.</summary>
    public OptConfig Config => model.Decoder.Config;

    /// <summary>The decoder holder (<c>model.</c>).</summary>
    public OptModel Model => model;

    /// <summary>The separate output head, or null when tied to the embedding.</summary>
    public Linear? LmHead => lm_head;

    /// <inheritdoc/>
    public override Embedding TokenEmbedding => model.Decoder.EmbedTokens;

    /// <inheritdoc/>
    public override int VocabSize => Config.VocabSize;

    /// <inheritdoc/>
    public override bool GradientCheckpointing
    {
        get => model.Decoder.GradientCheckpointing;
        set => model.Decoder.GradientCheckpointing = value;
    }

    /// <summary>
    /// Re-initialises every weight as HF's <c>OPTPreTrainedModel._init_weights</c>: linear and embedding weights from
    /// N(0, <paramref name="std"/>) (<c>init_std</c>), biases zero, the padding row of the token embedding zero, layer norms
    /// weight one and bias zero. Deterministic under <c>torch.manual_seed</c>.
    /// </summary>
    /// <param name="std">The standard deviation (HF's <c>init_std</c>, 0.02).</param>
    /// <example><code>torch.manual_seed(42); opt.InitializeWeights();</code></example>
    public void InitializeWeights(double std = 0.02)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case LayerNorm norm:
                    norm.weight?.fill_(1.0);
                    norm.bias?.zero_();
                    break;
                case Linear linear:
                    linear.weight!.normal_(0.0, std);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0.0, std);
                    break;
            }
        }
        if (Config.PadTokenId is int pad && pad >= 0 && pad < Config.VocabSize)
        {
            TokenEmbedding.weight![pad].zero_();
        }
    }

    /// <inheritdoc/>
    public override void ResizeTokenEmbeddings(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var embedding = TokenEmbedding;
        embedding.weight = new Parameter(ResizedRows(embedding.weight!, rows).MoveToOuterDisposeScope(), embedding.weight!.requires_grad);
        if (lm_head is not null)
        {
            lm_head.weight = new Parameter(ResizedRows(lm_head.weight!, rows).MoveToOuterDisposeScope(), lm_head.weight!.requires_grad);
        }

        model.Decoder.Config = Config with { VocabSize = rows };
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var hidden = model.call(inputIds, positionIds, paddingMask);
        var logits = lm_head is null
            ? nn.functional.linear(hidden, TokenEmbedding.weight!.to_type(hidden.dtype))
            : lm_head.call(hidden);
        return logits.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
