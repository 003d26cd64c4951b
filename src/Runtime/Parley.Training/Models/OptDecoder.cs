using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// The OPT decoder stack (HF <c>OPTDecoder</c>, state-dict prefix <c>model.decoder.</c>): token embedding, optional
/// <c>project_in</c> to the model width, learned absolute positions (<c>embed_positions</c>, offset 2), the layers, the
/// final layer norm (pre-LN models only) and optional <c>project_out</c> back to the embedding width.
/// </summary>
/// <remarks>
/// Positions follow HF's <c>OPTLearnedPositionalEmbedding</c>: without <c>position_ids</c> they are counted from the
/// padding mask (<c>cumsum(mask) * mask - 1</c>: real tokens from 0 whatever the left padding, padding at -1), and
/// row <c>position + 2</c> of the table is added. With <c>position_ids</c> (padding-free packed rows) those are used, and
/// attention is confined to each packed sequence by <see cref="AttentionMask"/>.
/// </remarks>
/// <example>
/// <code>
/// using var hidden = opt.Model.Decoder.call(inputIds, null, paddingMask); // [batch, seq, WordEmbedProjDim]
/// </code>
/// </example>
public sealed class OptDecoder : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    /// <summary>HF's OPT offsets learned positions by 2 (rows 0 and 1 of the table are never used by real tokens).</summary>
    public const int PositionOffset = 2;

#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly Embedding embed_tokens;
    private readonly Embedding embed_positions;
    private readonly Linear? project_in;
    private readonly Linear? project_out;
    private readonly LayerNorm? final_layer_norm;
    private readonly ModuleList<OptDecoderLayer> layers;
#pragma warning restore IDE1006

    /// <summary>Creates the stack (PyTorch's default initialisation).</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="device">Where the weights live (null: CPU).</param>
    public OptDecoder(OptConfig config, Device? device = null) : base(nameof(OptDecoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        long? padding = config.PadTokenId is int pad && pad >= 0 && pad < config.VocabSize ? pad : null;
        embed_tokens = nn.Embedding(config.VocabSize, config.WordEmbedProjDim, padding_idx: padding, device: device);
        embed_positions = nn.Embedding(config.MaxPositionEmbeddings + PositionOffset, config.HiddenSize, device: device);
        if (config.HasProjections)
        {
            project_in = nn.Linear(config.WordEmbedProjDim, config.HiddenSize, hasBias: false, device: device);
            project_out = nn.Linear(config.HiddenSize, config.WordEmbedProjDim, hasBias: false, device: device);
        }
        if (config.HasFinalLayerNorm)
        {
            final_layer_norm = OptDecoderLayer.NewLayerNorm(config, device);
        }
        layers = new ModuleList<OptDecoderLayer>(Enumerable.Range(0, config.NumLayers).Select(_ => new OptDecoderLayer(config, device)).ToArray());
        RegisterComponents();
    }

    /// <summary>The model shape.</summary>
    public OptConfig Config { get; internal set; }

    /// <summary>The token embedding <c>[VocabSize, WordEmbedProjDim]</c>.</summary>
    public Embedding EmbedTokens => embed_tokens;

    /// <summary>The learned positions <c>[MaxPositionEmbeddings + 2, HiddenSize]</c>.</summary>
    public Embedding EmbedPositions => embed_positions;

    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<OptDecoderLayer> Layers => [.. layers];

    /// <summary>Recompute each layer in backward instead of keeping its activations (see <see cref="ActivationCheckpoint"/>).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// The positions HF's OPT uses: <paramref name="positionIds"/> when given, else counted from the padding mask
    /// (padding gets -1), else <c>0..seq-1</c>. The table row is the position plus <see cref="PositionOffset"/>.
    /// </summary>
    /// <param name="inputIds"><c>[batch, seq]</c> token ids (for the shape and device).</param>
    /// <param name="positionIds">Explicit positions, or null.</param>
    /// <param name="paddingMask"><c>[batch, seq]</c> 1/0, or null.</param>
    /// <returns>int64 positions <c>[batch, seq]</c>.</returns>
    public static Tensor Positions(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (positionIds is not null)
        {
            return positionIds.alias();
        }
        if (paddingMask is null)
        {
            return AttentionMask.DefaultPositions(inputIds);
        }
        using var scope = NewDisposeScope();
        var mask = paddingMask.to_type(ScalarType.Int64);
        return (mask.cumsum(1) * mask - 1).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the stack.</summary>
    /// <param name="inputIds"><c>[batch, seq]</c> int64 token ids.</param>
    /// <param name="positionIds"><c>[batch, seq]</c> positions (packed rows restart at 0), or null.</param>
    /// <param name="paddingMask"><c>[batch, seq]</c>, 1 for tokens and 0 for padding, or null.</param>
    /// <returns>Hidden states <c>[batch, seq, WordEmbedProjDim]</c>, ready for the tied head.</returns>
    /// <exception cref="ArgumentException">The sequence is longer than <see cref="OptConfig.MaxPositionEmbeddings"/>
    /// (the position table has no row for it).</exception>
    public override Tensor forward(Tensor inputIds, Tensor? positionIds, Tensor? paddingMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (positionIds is null && inputIds.shape[^1] > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"the sequence has {inputIds.shape[^1]} tokens but OPT's learned positions stop at max_position_embeddings = {Config.MaxPositionEmbeddings}; pack or truncate to that length.",
                nameof(inputIds));
        }
        using var scope = NewDisposeScope();
        var positions = Positions(inputIds, positionIds, paddingMask);
        var hidden = embed_tokens.call(inputIds);
        if (project_in is not null)
        {
            hidden = project_in.call(hidden);
        }
        hidden = hidden + embed_positions.call(positions + PositionOffset).to_type(hidden.dtype);
        var inputs = new AttentionInputs(null, null, AttentionMask.Build(positions, paddingMask));
        foreach (var layer in layers)
        {
            hidden = GradientCheckpointing && training ? ActivationCheckpoint.Run(layer, hidden, inputs) : layer.call(hidden, inputs);
        }
        if (final_layer_norm is not null)
        {
            hidden = OptDecoderLayer.Norm(final_layer_norm, hidden);
        }
        if (project_out is not null)
        {
            hidden = project_out.call(hidden);
        }
        return hidden.MoveToOuterDisposeScope();
    }
}
