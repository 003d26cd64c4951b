using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// HF's <c>OPTModel</c>: only a holder of the <see cref="OptDecoder"/>, kept so that state-dict and PEFT names match
/// Hugging Face (<c>model.decoder.layers.0.self_attn.q_proj</c>).
/// </summary>
/// <example>
/// <code>
/// using var hidden = opt.Model.call(inputIds, null, null);
/// </code>
/// </example>
public sealed class OptModel : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly OptDecoder decoder;
#pragma warning restore IDE1006

    /// <summary>Creates the decoder.</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public OptModel(OptConfig config, Device? device = null) : base(nameof(OptModel))
    {
        decoder = new OptDecoder(config, device);
        RegisterComponents();
    }

    /// <summary>The decoder stack.</summary>
    public OptDecoder Decoder => decoder;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask) => decoder.call(inputIds, positionIds, paddingMask);
}
