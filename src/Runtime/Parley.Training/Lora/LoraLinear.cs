using Parley.Training.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Lora;

/// <summary>
/// A frozen base projection (<c>Linear</c> or NF4 <see cref="Linear4bit"/>) plus a trainable low-rank update:
/// <c>base(x) + scaling * lora_B(lora_A(dropout(x)))</c>. <c>lora_A</c> starts kaiming-uniform (a = √5), <c>lora_B</c>
/// at zero, so a fresh adapter changes nothing. Adapter weights stay float32 whatever the compute dtype (PEFT's
/// <c>autocast_adapter_dtype</c>).
/// </summary>
/// <example>
/// <code>
/// using var lora = new LoraLinear(torch.nn.Linear(64, 64, hasBias: false), new LoraConfig());
/// using var y = lora.call(x);
/// </code>
/// </example>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly HostDropout? dropout;
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly nn.Module<Tensor, Tensor> base_layer;
    private readonly Linear lora_A;
    private readonly Linear lora_B;
#pragma warning restore IDE1006

    /// <summary>Wraps <paramref name="baseLayer"/> and freezes its parameters.</summary>
    /// <param name="baseLayer">A <c>Linear</c> or <see cref="Linear4bit"/>.</param>
    /// <param name="config">Rank, alpha, dropout.</param>
    /// <exception cref="ArgumentException">The base layer is neither kind.</exception>
    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, LoraConfig config) : base(nameof(LoraLinear))
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        (InFeatures, OutFeatures, var device) = baseLayer switch
        {
            Linear l => (l.in_features, l.out_features, l.weight!.device),
            Linear4bit q => (q.InFeatures, q.OutFeatures, q.WeightDevice),
            _ => throw new ArgumentException($"LoRA wraps Linear or Linear4bit layers; got {baseLayer.GetType().Name}.", nameof(baseLayer)),
        };
        R = config.R;
        Scaling = config.Scaling;
        base_layer = baseLayer;
        foreach (var p in baseLayer.parameters())
        {
            p.requires_grad = false;
        }
        lora_A = nn.Linear(InFeatures, config.R, hasBias: false, device: device);
        lora_B = nn.Linear(config.R, OutFeatures, hasBias: false, device: device);
        using (no_grad())
        {
            nn.init.kaiming_uniform_(lora_A.weight!, a: Math.Sqrt(5));
            nn.init.zeros_(lora_B.weight!);
        }
        if (config.Dropout > 0)
        {
            dropout = new HostDropout(config.Dropout);
        }
        RegisterComponents();
    }

    /// <summary>The rank.</summary>
    public int R { get; }

    /// <summary>The update's multiplier (alpha / r, or alpha / √r).</summary>
    public double Scaling { get; }

    /// <summary>Input width.</summary>
    public long InFeatures { get; }

    /// <summary>Output width.</summary>
    public long OutFeatures { get; }

    /// <summary>The frozen base projection.</summary>
    public nn.Module<Tensor, Tensor> BaseLayer => base_layer;

    /// <summary>The down projection <c>[r, in]</c>.</summary>
    public Parameter LoraA => lora_A.weight!;

    /// <summary>The up projection <c>[out, r]</c>.</summary>
    public Parameter LoraB => lora_B.weight!;

    /// <summary>True while the update is folded into a dense base weight.</summary>
    public bool Merged { get; private set; }

    /// <summary>The update as a matrix <c>scaling * B @ A</c>, <c>[out, in]</c>, float32.</summary>
    /// <returns>A new tensor.</returns>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        return lora_B.weight!.matmul(lora_A.weight!).mul(Scaling).detach().MoveToOuterDisposeScope();
    }

    /// <summary>Folds the update into the base weight for inference (dense base layers only; exact, and reversible with
    /// <see cref="Unmerge"/>).</summary>
    /// <exception cref="InvalidOperationException">Already merged, or the base is 4-bit (use <see cref="MergeAndUnload"/>,
    /// which requantizes, or merge into a dense copy of the base model).</exception>
    public void Merge()
    {
        var dense = DenseBase("merge");
        if (Merged)
        {
            throw new InvalidOperationException("the LoRA update is already merged; call Unmerge first.");
        }
        using (no_grad())
        using (var delta = DeltaWeight())
        {
            dense.weight!.add_(delta.to_type(dense.weight!.dtype));
        }
        Merged = true;
    }

    /// <summary>
    /// Folds the update into the base layer and returns that layer without the adapter (PEFT's
    /// <c>merge_and_unload</c>), to put back in the model's slot. A dense base gets <c>W + scaling·B·A</c> in place
    /// (exact). A <see cref="Linear4bit"/> base is dequantized, the update added, and the sum quantized to NF4 again
    /// with the same block size and double quantization (<see cref="Linear4bit.MergedWith"/>), as PEFT does for
    /// bitsandbytes 4-bit layers — <b>lossy</b>: each weight moves to the nearest NF4 level of its block, so outputs
    /// differ from base-plus-adapter by about the base's own quantization error. This wrapper's adapter weights are
    /// disposed; do not call it again.
    /// </summary>
    /// <returns>The merged base layer (the same dense <c>Linear</c>, or a new <see cref="Linear4bit"/>).</returns>
    /// <example><code>host.SetProjection("q_proj", lora.MergeAndUnload());</code></example>
    public nn.Module<Tensor, Tensor> MergeAndUnload()
    {
        nn.Module<Tensor, Tensor> merged;
        if (base_layer is Linear4bit quantizedBase)
        {
            if (Merged)
            {
                throw new InvalidOperationException("a 4-bit base cannot hold a merged update; this adapter is already unloaded.");
            }
            using var delta = DeltaWeight();
            merged = quantizedBase.MergedWith(delta);
            quantizedBase.Dispose(); // replaced; its packed buffers would otherwise wait for the finalizer
        }
        else
        {
            if (!Merged)
            {
                Merge();
            }
            merged = base_layer;
        }
        Merged = true;
        lora_A.Dispose();
        lora_B.Dispose();
        return merged;
    }

    /// <summary>Takes a merged update back out of the base weight.</summary>
    /// <exception cref="InvalidOperationException">Not merged.</exception>
    public void Unmerge()
    {
        var dense = DenseBase("unmerge");
        if (!Merged)
        {
            throw new InvalidOperationException("the LoRA update is not merged.");
        }
        using (no_grad())
        using (var delta = DeltaWeight())
        {
            dense.weight!.sub_(delta.to_type(dense.weight!.dtype));
        }
        Merged = false;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        if (Merged)
        {
            return base_layer.call(input).MoveToOuterDisposeScope();
        }
        var up = lora_B.weight!;
        if (input.dim() >= 2 && input.is_contiguous())
        {
            // the base output, as [tokens, out], is fresh and no backward reads it (a linear layer's backward needs its
            // input and weight), so the update is accumulated into it in place: result += Scaling · down @ Bᵀ, one
            // GEMM with beta 1 and no copy of the base output (an out-of-place addmm copies it first: 36 M values a
            // step for the 29.5M Llama), no separate update tensor, scaling or addition, forward or backward
            var flat = input.view(-1, InFeatures);
            var result = base_layer.call(flat);
            var outputShape = input.shape.ToArray();
            outputShape[^1] = OutFeatures;
            if (result.dtype == up.dtype)
            {
                var down = lora_A.call(AdapterInput(flat));
                return result.addmm_(down, up.t(), beta: 1, alpha: (float)Scaling).view(outputShape).MoveToOuterDisposeScope();
            }
            // a 16-bit base: the float32 update is cast to the base's dtype before the add
            var cast = lora_B.call(lora_A.call(AdapterInput(flat))).mul(Scaling).to_type(result.dtype);
            return (result + cast).view(outputShape).MoveToOuterDisposeScope();
        }
        var baseOutput = base_layer.call(input);
        var update = lora_B.call(lora_A.call(AdapterInput(input))).mul(Scaling);
        return (baseOutput + update.to_type(baseOutput.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The adapter's input: float32 (adapters stay float32), then dropout while training.</summary>
    private Tensor AdapterInput(Tensor input)
    {
        var x = input.to_type(ScalarType.Float32);
        return dropout is null ? x : dropout.call(x);
    }

    private Linear DenseBase(string action) => base_layer as Linear
        ?? throw new InvalidOperationException(
            $"cannot {action} a LoRA update in place into a {base_layer.GetType().Name} base; use MergeAndUnload (requantizes, lossy) or load the base model in float and apply the adapter there.");
}
