using Parley.Training.Models;
using static TorchSharp.torch;

namespace Parley.Training.Lora;

/// <summary>
/// Adds LoRA adapters to the target projections of a model (PEFT's <c>get_peft_model</c>): every parameter is frozen,
/// each targeted <see cref="IProjectionHost"/> slot is wrapped in a <see cref="LoraLinear"/>, and only the adapters
/// train.
/// </summary>
/// <example>
/// <code>
/// using var model = Llama2cLoader.Load("stories260K.bin");
/// ModelQuantizer.Quantize(model, Nf4Options.Default);          // QLoRA: NF4 base
/// KbitTraining.Prepare(model);
/// var adapted = LoraInjector.Apply(model, new LoraConfig());  // ["model.layers.0.self_attn.q_proj", ...]
/// </code>
/// </example>
public static class LoraInjector
{
    /// <summary>Wraps the target projections and freezes everything else.</summary>
    /// <param name="model">The model (changed in place).</param>
    /// <param name="config">Which modules, rank, alpha, dropout.</param>
    /// <returns>The full names of the adapted modules, in model order.</returns>
    /// <exception cref="ArgumentException">A target module name matches no projection of the model.</exception>
    public static IReadOnlyList<string> Apply(nn.Module model, LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        foreach (var p in model.parameters())
        {
            p.requires_grad = false;
        }
        var adapted = new List<string>();
        var seen = new HashSet<string>();
        foreach (var (name, module) in model.named_modules().ToList())
        {
            if (module is not IProjectionHost host)
            {
                continue;
            }
            foreach (var projection in host.ProjectionNames)
            {
                seen.Add(projection);
                if (!config.TargetModules.Contains(projection) || host.GetProjection(projection) is LoraLinear)
                {
                    continue;
                }
                host.SetProjection(projection, new LoraLinear(host.GetProjection(projection), config));
                adapted.Add($"{name}.{projection}");
            }
        }
        var unknown = config.TargetModules.Where(t => !seen.Contains(t)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException(
                $"target module(s) {string.Join(", ", unknown)} match no projection of the model; it has {string.Join(", ", seen)}.", nameof(config));
        }
        return adapted;
    }

    /// <summary>The adapters of a model by full module name.</summary>
    /// <param name="model">A model after <see cref="Apply"/>.</param>
    /// <returns>Name → adapter, in model order.</returns>
    public static IReadOnlyList<(string Name, LoraLinear Adapter)> Adapters(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module)).ToList();
    }

    /// <summary>Folds every adapter into its dense base weight (see <see cref="LoraLinear.Merge"/>).</summary>
    /// <param name="model">A model with adapters on dense projections.</param>
    public static void MergeAll(nn.Module model)
    {
        foreach (var (_, adapter) in Adapters(model))
        {
            adapter.Merge();
        }
    }

    /// <summary>
    /// Replaces every adapted projection with its merged base (PEFT's <c>merge_and_unload</c>; see
    /// <see cref="LoraLinear.MergeAndUnload"/>): dense bases exactly, NF4 bases by requantizing (lossy). The model has no
    /// adapters afterwards.
    /// </summary>
    /// <param name="model">A model with adapters.</param>
    /// <returns>The full names of the merged projections.</returns>
    /// <example><code>
    /// LoraInjector.MergeAndUnload(model);   // an NF4 model again, with the fine-tune folded in
    /// </code></example>
    public static IReadOnlyList<string> MergeAndUnload(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var merged = new List<string>();
        foreach (var (name, module) in model.named_modules().ToList())
        {
            if (module is not IProjectionHost host)
            {
                continue;
            }
            foreach (var projection in host.ProjectionNames)
            {
                if (host.GetProjection(projection) is LoraLinear adapter)
                {
                    host.SetProjection(projection, adapter.MergeAndUnload());
                    merged.Add($"{name}.{projection}");
                }
            }
        }
        return merged;
    }

    /// <summary>Takes every merged adapter back out (see <see cref="LoraLinear.Unmerge"/>).</summary>
    /// <param name="model">A merged model.</param>
    public static void UnmergeAll(nn.Module model)
    {
        foreach (var (_, adapter) in Adapters(model))
        {
            adapter.Unmerge();
        }
    }
}
