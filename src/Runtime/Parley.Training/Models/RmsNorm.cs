using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Root-mean-square layer norm: <c>weight * x / sqrt(mean(x²) + eps)</c>, computed in float32 and cast back; Gemma's
/// variant scales by <c>1 + weight</c> in float32 before the cast (its weights start at zero).
/// </summary>
/// <example>
/// <code>
/// using var norm = new RmsNorm(64, 1e-5);
/// using var y = norm.call(torch.randn(2, 3, 64));
/// </code>
/// </example>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the state-dict names
    private readonly Parameter weight;
#pragma warning restore IDE1006
    private readonly double eps;
    private readonly bool addOne;

    /// <summary>Creates the norm with a weight of ones (of zeros when it scales by <c>1 + weight</c>).</summary>
    /// <param name="size">Width of the last dimension.</param>
    /// <param name="eps">Added to the mean square.</param>
    /// <param name="device">Where the weight lives (null: CPU).</param>
    /// <param name="addOne">Scale by <c>1 + weight</c> (Gemma) instead of <c>weight</c>.</param>
    public RmsNorm(long size, double eps, Device? device = null, bool addOne = false) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        this.addOne = addOne;
        weight = new Parameter(addOne ? zeros(size, dtype: ScalarType.Float32, device: device) : ones(size, dtype: ScalarType.Float32, device: device));
        RegisterComponents();
    }

    /// <summary>Whether the scale is <c>1 + weight</c> (Gemma).</summary>
    public bool AddsOne => addOne;

    /// <summary>The scale.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to_type(ScalarType.Float32);
        var normed = x * x.pow(2).mean([-1L], keepdim: true).add(eps).rsqrt();
        if (addOne)
        {
            return (normed * (weight.to_type(ScalarType.Float32) + 1.0)).to_type(input.dtype).MoveToOuterDisposeScope();
        }
        return (weight * normed.to_type(input.dtype)).MoveToOuterDisposeScope();
    }
}
