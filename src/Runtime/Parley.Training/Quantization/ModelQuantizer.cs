using Parley.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Quantization;

/// <summary>
/// Replaces the dense projections of a model (every <see cref="IProjectionHost"/> slot holding a <c>Linear</c>) with
/// NF4 <see cref="Linear4bit"/> layers, as loading with bitsandbytes' <c>load_in_4bit</c> does. Embeddings, norms and
/// the output head stay in float.
/// </summary>
/// <example>
/// <code>
/// using var model = Llama2cLoader.Load("stories260K.bin");
/// var report = ModelQuantizer.Quantize(model, Nf4Options.Default, ScalarType.Float32);
/// </code>
/// </example>
public static class ModelQuantizer
{
    /// <summary>Quantizes the projections in place and reports the storage.</summary>
    /// <param name="model">The model; its replaced <c>Linear</c> modules are disposed.</param>
    /// <param name="options">Block size and double quantization.</param>
    /// <param name="computeDType">The matmul dtype of the 4-bit layers.</param>
    /// <returns>The storage report.</returns>
    public static QuantizationReport Quantize(nn.Module model, Nf4Options options, ScalarType computeDType = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (_, module) in model.named_modules().ToList())
        {
            if (module is not IProjectionHost host)
            {
                continue;
            }
            foreach (var name in host.ProjectionNames)
            {
                if (host.GetProjection(name) is Linear dense)
                {
                    host.SetProjection(name, Linear4bit.FromLinear(dense, options, computeDType));
                    dense.Dispose();
                }
            }
        }
        return Report(model);
    }

    /// <summary>Measures the storage of a model, counting <see cref="Linear4bit"/> weights as NF4.</summary>
    /// <param name="model">Any module.</param>
    /// <returns>The storage report.</returns>
    public static QuantizationReport Report(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long qParams = 0, qBytes = 0;
        var counted = new HashSet<IntPtr>();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is Linear4bit q)
            {
                qParams += q.Weight.Length;
                qBytes += q.Weight.StorageBytes;
            }
        }
        long otherParams = 0, otherBytes = 0;
        foreach (var (_, p) in model.named_parameters())
        {
            if (counted.Add(p.Handle))
            {
                otherParams += p.numel();
                otherBytes += p.numel() * p.element_size();
            }
        }
        return new QuantizationReport(qParams, qBytes, otherParams, otherBytes);
    }
}
