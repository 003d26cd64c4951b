using System.Text.Json;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Loads a Hugging Face checkpoint folder: <c>config.json</c> plus <c>model.safetensors</c> (or shards listed in
/// <c>model.safetensors.index.json</c>), for Llama (with <c>rope_scaling</c> "llama3"), Mistral, Qwen2, Qwen3,
/// Gemma-3 text and Phi-3 (a <see cref="LlamaForCausalLM"/>) and OPT (<c>model_type</c> "opt", an
/// <see cref="OptForCausalLM"/>). Phi-3's fused <c>qkv_proj</c> and <c>gate_up_proj</c> weights are split into the
/// separate projections. float32, float16 and bfloat16 tensors are read and computed in the requested dtype
/// (float32 unless asked). Checkpoints saved from a bitsandbytes 4-bit model (<c>*-bnb-4bit</c>, NF4 or FP4, with or
/// without double quantization) are read as they are: each quantized projection becomes a
/// <see cref="Linear4bit"/> holding the file's codes and absmax, not a re-quantization.
/// </summary>
/// <example>
/// <code>
/// using var model = HfModelLoader.Load("models/TinyLlama-1.1B", torch.CPU);
/// </code>
/// </example>
public static class HfModelLoader
{
    /// <summary>Loads the model in a folder.</summary>
    /// <param name="directory">Holds config.json and the safetensors file(s).</param>
    /// <param name="device">Where the weights go (null: CPU).</param>
    /// <param name="dtype">The compute dtype: Float32 (null), BFloat16 or Float16. 4-bit weights keep their storage and
    /// dequantize into it.</param>
    /// <returns>The model in evaluation mode: a <see cref="LlamaForCausalLM"/> or an <see cref="OptForCausalLM"/>.</returns>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="ModelFormatException">A weight is missing, unexpected or mis-shaped, or the config names an
    /// unsupported architecture or quantization method (the message names the file and field).</exception>
    public static CausalLanguageModel Load(string directory, Device? device = null, ScalarType? dtype = null)
    {
        if (dtype is { } requested && requested is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new ArgumentException($"dtype {requested} is not a compute dtype; use Float32, BFloat16 or Float16.", nameof(dtype));
        }
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{configPath} not found; a Hugging Face model folder needs config.json next to its safetensors.", configPath);
        }
        try
        {
            return LoadChecked(directory, configPath, device, dtype);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException or KeyNotFoundException or FormatException
            or EndOfStreamException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(directory, e.Message, e);
        }
    }

    private static CausalLanguageModel LoadChecked(string directory, string configPath, Device? device, ScalarType? dtype)
    {
        var configText = File.ReadAllText(configPath);
        BitsAndBytesCheckpoint.CheckConfig(configText, configPath);
        var modelType = ModelType(configText);
        if (modelType is null)
        {
            throw new InvalidDataException($"{configPath}: no \"model_type\"; Parley loads llama, mistral, qwen2, qwen3, phi3, gemma3_text and opt models (set the field to the architecture the weights are for).");
        }
        CausalLanguageModel model;
        if (modelType == "opt")
        {
            var optConfig = OptConfig.FromHfConfigJson(configText);
            // the older facebook/opt-* files lack the "model." of OPTForCausalLM
            model = LoadWeights(new OptForCausalLM(optConfig, device), directory, OptName, (assigner, name, value, _) => AssignOpt(assigner, optConfig, name, value));
        }
        else
        {
            var config = LlamaConfig.FromHfConfigJson(configText);
            var fused = modelType == "phi3";
            model = LoadWeights(new LlamaForCausalLM(config, device), directory, n => n, (assigner, name, value, file) => Assign(assigner, config, fused, name, value, file));
        }
        if (dtype is { } compute && compute != ScalarType.Float32)
        {
            model.to(compute);
        }
        return model;
    }

    private static string OptName(string name) => name.StartsWith("decoder.", StringComparison.Ordinal) ? "model." + name : name;

    private static TModel LoadWeights<TModel>(TModel model, string directory, Func<string, string> canonical, Action<WeightAssigner, string, Tensor, string> assign)
        where TModel : CausalLanguageModel
    {
        var files = WeightFiles(directory);
        var quantized = BitsAndBytesCheckpoint.Scan(files);
        try
        {
            var assigner = new WeightAssigner(model, directory);
            foreach (var prefix in quantized.Prefixes)
            {
                assigner.Provided(canonical(prefix) + ".weight"); // comes as 4-bit parts, swapped in below
            }
            foreach (var file in files)
            {
                var tensors = SafeTensorsFile.Load(file);
                try
                {
                    foreach (var (name, value) in tensors)
                    {
                        if (!quantized.TryTake(name, value))
                        {
                            assign(assigner, name, value, file);
                        }
                    }
                }
                finally
                {
                    foreach (var t in tensors.Values)
                    {
                        t.Dispose();
                    }
                }
            }
            assigner.EnsureComplete();
            SwapInQuantized(model, quantized, canonical, directory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            quantized.Clear();
        }
        model.eval();
        return model;
    }

    /// <summary>Replaces each dense projection that the checkpoint stores in 4 bits by a <see cref="Linear4bit"/>
    /// built from the file's parts (the dense layer's bias, already loaded, is kept).</summary>
    private static void SwapInQuantized(CausalLanguageModel model, BitsAndBytesCheckpoint quantized, Func<string, string> canonical, string directory)
    {
        if (quantized.Prefixes.Count == 0)
        {
            return;
        }
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var prefix in quantized.Prefixes)
        {
            var path = canonical(prefix);
            var dot = path.LastIndexOf('.');
            var slot = path[(dot + 1)..];
            if (dot < 0 || !modules.TryGetValue(path[..dot], out var parent) || parent is not IProjectionHost host || !host.ProjectionNames.Contains(slot))
            {
                throw new InvalidDataException($"{directory}: \"{prefix}.weight\" is stored 4-bit but is not a projection Parley can hold in 4 bits (q/k/v/o, gate/up/down, OPT's out_proj/fc1/fc2); fused or other quantized layers are not supported.");
            }
            var dense = host.GetProjection(slot) as TorchSharp.Modules.Linear
                ?? throw new InvalidDataException($"{directory}: \"{prefix}\" is quantized twice.");
            var weight = quantized.Build(prefix, dense.weight!.shape, directory);
            host.SetProjection(slot, new Linear4bit(weight, dense.bias, ScalarType.Float32, dense.weight.device));
            dense.Dispose();
        }
    }

    private static void AssignOpt(WeightAssigner assigner, OptConfig config, string name, Tensor value)
    {
        if (name == "lm_head.weight" && config.TieWordEmbeddings)
        {
            return; // the head is the token embedding
        }
        assigner.Assign(OptName(name), value);
    }

    private static void Assign(WeightAssigner assigner, LlamaConfig config, bool fused, string name, Tensor value, string file)
    {
        if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
        {
            return; // a buffer some older exports include; recomputed here
        }
        if (name == "lm_head.weight" && config.TieWordEmbeddings)
        {
            return;
        }
        if (fused && name.EndsWith(".self_attn.qkv_proj.weight", StringComparison.Ordinal))
        {
            var prefix = name[..^"qkv_proj.weight".Length];
            var q = (long)config.NumHeads * config.HeadDim;
            var kv = (long)config.NumKeyValueHeads * config.HeadDim;
            CheckRows(value, q + 2 * kv, name, file);
            assigner.Assign(prefix + "q_proj.weight", value.narrow(0, 0, q));
            assigner.Assign(prefix + "k_proj.weight", value.narrow(0, q, kv));
            assigner.Assign(prefix + "v_proj.weight", value.narrow(0, q + kv, kv));
            return;
        }
        if (fused && name.EndsWith(".mlp.gate_up_proj.weight", StringComparison.Ordinal))
        {
            var prefix = name[..^"gate_up_proj.weight".Length];
            CheckRows(value, 2L * config.IntermediateSize, name, file);
            assigner.Assign(prefix + "gate_proj.weight", value.narrow(0, 0, config.IntermediateSize));
            assigner.Assign(prefix + "up_proj.weight", value.narrow(0, config.IntermediateSize, config.IntermediateSize));
            return;
        }
        assigner.Assign(name, value);
    }

    private static void CheckRows(Tensor value, long rows, string name, string file)
    {
        if (value.shape.Length != 2 || value.shape[0] != rows)
        {
            throw new InvalidDataException($"{file}: fused \"{name}\" has shape [{string.Join(", ", value.shape)}] but the config implies {rows} rows.");
        }
    }

    private static string? ModelType(string configText)
    {
        using var doc = JsonDocument.Parse(configText);
        return doc.RootElement.TryGetProperty("model_type", out var t) ? t.GetString() : null;
    }

    private static List<string> WeightFiles(string directory)
    {
        var single = Path.Combine(directory, "model.safetensors");
        if (File.Exists(single))
        {
            return [single];
        }
        var index = Path.Combine(directory, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map))
            {
                throw new InvalidDataException($"{index}: no \"weight_map\".");
            }
            return map.EnumerateObject().Select(p => p.Value.GetString()!).Distinct().Select(f => Path.Combine(directory, f)).ToList();
        }
        throw new FileNotFoundException($"{directory}: neither model.safetensors nor model.safetensors.index.json is there; only safetensors checkpoints are read (convert .bin with transformers' save_pretrained(safe_serialization=True)).");
    }
}
