using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// A Llama-family causal language model: <see cref="LlamaModel"/> plus an output head, tied to the token embedding
/// or separate (<c>lm_head</c>). State-dict names follow Hugging Face (<c>model.layers.0.self_attn.q_proj.weight</c> …).
/// </summary>
/// <example>
/// <code>
/// using var model = Llama2cLoader.Load("stories260K.bin");
/// using var logits = model.call(torch.tensor(new long[] { 1 }).unsqueeze(0), null, null); // [1, 1, VocabSize]
/// </code>
/// </example>
public sealed class LlamaForCausalLM : CausalLanguageModel
{
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly LlamaModel model;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006

    /// <summary>Creates the model with PyTorch's default initialisation (seed with <c>torch.manual_seed</c>).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU; "cuda" with the TorchSharp-cuda-linux backend).</param>
    public LlamaForCausalLM(LlamaConfig config, Device? device = null) : base(nameof(LlamaForCausalLM))
    {
        ArgumentNullException.ThrowIfNull(config);
        model = new LlamaModel(config, device);
        if (!config.TieWordEmbeddings)
        {
            lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device);
        }
        RegisterComponents();
    }

    /// <summary>The model shape.</summary>
    public LlamaConfig Config => model.Config;

    /// <summary>The decoder stack.</summary>
    public LlamaModel Model => model;

    /// <summary>The separate output head, or null when tied to the embedding.</summary>
    public Linear? LmHead => lm_head;

    /// <inheritdoc/>
    public override Embedding TokenEmbedding => model.EmbedTokens;

    /// <inheritdoc/>
    public override int VocabSize => model.Config.VocabSize;

    /// <inheritdoc/>
    public override bool GradientCheckpointing
    {
        get => model.GradientCheckpointing;
        set => model.GradientCheckpointing = value;
    }

    /// <summary>
    /// Re-initialises every weight as HF's <c>_init_weights</c> does for Llama: linear and embedding weights from
    /// N(0, <paramref name="std"/>), biases zero, RMSNorm weights one (zero for Gemma's <c>1 + weight</c> norms).
    /// Deterministic under <c>torch.manual_seed</c>.
    /// </summary>
    /// <example><code>torch.manual_seed(42); model.InitializeWeights(); // a tiny test model, as HF's own are made</code></example>
    public void InitializeWeights(double std = 0.02)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.Contains("layernorm", StringComparison.Ordinal))
            {
                parameter.fill_(Config.GemmaLayout ? 0.0 : 1.0);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                parameter.zero_();
            }
            else
            {
                parameter.normal_(0.0, std);
            }
        }
    }

    /// <inheritdoc/>
    public override void ResizeTokenEmbeddings(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        model.EmbedTokens.weight = new Parameter(ResizedRows(model.EmbedTokens.weight!, rows).MoveToOuterDisposeScope(), model.EmbedTokens.weight!.requires_grad);
        if (lm_head is not null)
        {
            lm_head.weight = new Parameter(ResizedRows(lm_head.weight!, rows).MoveToOuterDisposeScope(), lm_head.weight!.requires_grad);
        }

        model.Config = model.Config with { VocabSize = rows };
    }

    /// <summary>Computes next-token logits.</summary>
    /// <param name="inputIds"><c>[batch, seq]</c> int64 token ids.</param>
    /// <param name="positionIds"><c>[batch, seq]</c> positions, or null for <c>0..seq-1</c>.</param>
    /// <param name="paddingMask"><c>[batch, seq]</c> 1/0 padding mask, or null.</param>
    /// <returns>Logits <c>[batch, seq, VocabSize]</c> in float32.</returns>
    public override Tensor forward(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var hidden = model.call(inputIds, positionIds, paddingMask);
        var logits = lm_head is null
            ? nn.functional.linear(hidden, model.EmbedTokens.weight!.to_type(hidden.dtype))
            : lm_head.call(hidden);
        return logits.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
