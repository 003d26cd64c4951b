using Parley.Training.Models;
using Parley.Training.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Lora;

/// <summary>
/// PEFT's <c>prepare_model_for_kbit_training</c>: freezes every parameter, casts the parameters that are not
/// quantized (norms, embeddings, head) from 16-bit to float32 for stable training, and makes the embedding output
/// require gradients so activation checkpointing still has a path back to the adapters.
/// </summary>
/// <example>
/// <code>
/// ModelQuantizer.Quantize(model, Nf4Options.Default, ScalarType.BFloat16);
/// KbitTraining.Prepare(model);
/// </code>
/// </example>
public static class KbitTraining
{
    /// <summary>Prepares <paramref name="model"/> in place.</summary>
    /// <param name="model">A model, usually with <see cref="Linear4bit"/> projections.</param>
    public static void Prepare(CausalLanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (_, module) in model.named_modules().ToList())
        {
            // leaf modules (norms, embedding, dense head) holding 16-bit parameters become float32; a 4-bit layer
            // keeps its packed weight and compute dtype
            if (module is Linear4bit || module.named_children().Any())
            {
                continue;
            }
            if (module.named_parameters(recurse: false).Any(p => p.parameter.dtype is ScalarType.Float16 or ScalarType.BFloat16))
            {
                module.to(ScalarType.Float32);
            }
        }
        foreach (var p in model.parameters())
        {
            p.requires_grad = false;
        }
        EnableInputRequireGrads(model.TokenEmbedding);
    }

    /// <summary>Makes the embedding's output require gradients (PEFT's <c>enable_input_require_grads</c>).</summary>
    /// <param name="embedding">The token embedding.</param>
    public static void EnableInputRequireGrads(Embedding embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        embedding.register_forward_hook((_, _, output) => is_grad_enabled() && !output.requires_grad ? output.requires_grad_(true) : output);
    }
}
