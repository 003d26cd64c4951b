using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// What the trainer, LoRA, the NF4 quantizer, PEFT export and generation need from a decoder-only language model,
/// whatever its architecture (<see cref="LlamaForCausalLM"/>, <see cref="OptForCausalLM"/>): a forward from token ids,
/// optional <c>position_ids</c> and padding mask to float32 logits; the token embedding; and activation checkpointing.
/// Projections that LoRA and NF4 may replace are exposed by the modules implementing <see cref="IProjectionHost"/>.
/// </summary>
/// <example>
/// <code>
/// CausalLanguageModel model = HfModelLoader.Load("models/opt-350m");   // an OptForCausalLM
/// model.GradientCheckpointing = true;                                  // recompute layers in backward
/// using var logits = model.call(inputIds, positionIds: null, paddingMask: mask);
/// </code>
/// </example>
public abstract class CausalLanguageModel : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    /// <summary>Names the module (the TorchSharp module name).</summary>
    /// <param name="name">The module's name.</param>
    protected CausalLanguageModel(string name) : base(name)
    {
    }

    /// <summary>The input token embedding (frozen or not; <c>KbitTraining</c> hooks its output).</summary>
    public abstract Embedding TokenEmbedding { get; }

    /// <summary>Rows of the token embedding and columns of the logits.</summary>
    public abstract int VocabSize { get; }

    /// <summary>
    /// When true, each decoder layer's activations are not kept for backward while training: the layer is run again
    /// from its saved input during backward (see <see cref="ActivationCheckpoint"/>). Saves memory for compute; the
    /// gradients are the same. Has no effect in evaluation mode or without gradients. Default false.
    /// </summary>
    public abstract bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Grows (or shrinks) the token embedding — and a separate output head — to <paramref name="rows"/> rows, as HF's
    /// <c>resize_token_embeddings</c>: existing rows are kept; new rows start at the mean of the old ones (HF's
    /// <c>mean_resizing</c>), so new tokens begin as an average token rather than noise.
    /// </summary>
    /// <param name="rows">The new vocabulary size.</param>
    /// <example><code>
    /// TokenizerSetupResult setup = TokenizerRules.Apply(tokenizer, options);
    /// if (setup.ResizeTo is int rows) model.ResizeTokenEmbeddings(rows);
    /// </code></example>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not positive.</exception>
    public abstract void ResizeTokenEmbeddings(int rows);

    /// <summary>The first <paramref name="rows"/> rows of <paramref name="weight"/>, or all of them followed by copies
    /// of their mean.</summary>
    /// <param name="weight">An embedding or head weight <c>[rows, width]</c>.</param>
    /// <param name="rows">The new row count.</param>
    /// <returns>A new contiguous tensor.</returns>
    protected static Tensor ResizedRows(Tensor weight, int rows)
    {
        ArgumentNullException.ThrowIfNull(weight);
        long old = weight.shape[0];
        if (rows <= old)
        {
            return weight[..rows].clone();
        }

        var mean = weight.mean([0], keepdim: true);
        return cat([weight, mean.expand(rows - old, weight.shape[1])], 0).contiguous();
    }

    /// <summary>Computes next-token logits.</summary>
    /// <param name="inputIds"><c>[batch, seq]</c> int64 token ids.</param>
    /// <param name="positionIds"><c>[batch, seq]</c> positions (each packed sequence restarting at 0), or null.</param>
    /// <param name="paddingMask"><c>[batch, seq]</c> 1/0 padding mask, or null.</param>
    /// <returns>Logits <c>[batch, seq, VocabSize]</c> in float32.</returns>
    public abstract override Tensor forward(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask);
}
