using System.Text.Json;
using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Loads a Hugging Face checkpoint folder: <c>config.json</c> plus <c>model.safetensors</c> (or shards listed in
/// <c>model.safetensors.index.json</c>), for Llama, Mistral, Qwen2 and Phi-3 (a <see cref="LlamaForCausalLM"/>) and OPT
/// (<c>model_type</c> "opt", an <see cref="OptForCausalLM"/>). Phi-3's fused <c>qkv_proj</c> and <c>gate_up_proj</c>
/// weights are split into the separate projections; 16-bit weights become float32.
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
    /// <returns>The model in float32, in evaluation mode: a <see cref="LlamaForCausalLM"/> or an <see cref="OptForCausalLM"/>.</returns>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    /// <exception cref="InvalidDataException">A weight is missing, unexpected or mis-shaped.</exception>
    public static CausalLanguageModel Load(string directory, Device? device = null)
    {
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{configPath} not found; a Hugging Face model folder needs config.json next to its safetensors.", configPath);
        }
        try
        {
            return LoadChecked(directory, configPath, device);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException or KeyNotFoundException or FormatException
            or EndOfStreamException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(directory, e.Message, e);
        }
    }

    private static CausalLanguageModel LoadChecked(string directory, string configPath, Device? device)
    {
        var configText = File.ReadAllText(configPath);
        var modelType = ModelType(configText);
        if (modelType is null)
        {
            throw new InvalidDataException($"{configPath}: no \"model_type\"; Parley loads llama, mistral, qwen2, phi3 and opt models (set the field to the architecture the weights are for).");
        }
        if (modelType == "opt")
        {
            var optConfig = OptConfig.FromHfConfigJson(configText);
            return LoadWeights(new OptForCausalLM(optConfig, device), directory, (assigner, name, value, _) => AssignOpt(assigner, optConfig, name, value));
        }
        var config = LlamaConfig.FromHfConfigJson(configText);
        var fused = modelType == "phi3";
        return LoadWeights(new LlamaForCausalLM(config, device), directory, (assigner, name, value, file) => Assign(assigner, config, fused, name, value, file));
    }

    private static TModel LoadWeights<TModel>(TModel model, string directory, Action<WeightAssigner, string, Tensor, string> assign)
        where TModel : CausalLanguageModel
    {
        try
        {
            var assigner = new WeightAssigner(model, directory);
            foreach (var file in WeightFiles(directory))
            {
                var tensors = SafeTensorsFile.Load(file);
                try
                {
                    foreach (var (name, value) in tensors)
                    {
                        assign(assigner, name, value, file);
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
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    private static void AssignOpt(WeightAssigner assigner, OptConfig config, string name, Tensor value)
    {
        if (name == "lm_head.weight" && config.TieWordEmbeddings)
        {
            return; // the head is the token embedding
        }
        // checkpoints saved from OPTModel (the older facebook/opt-* files) lack the "model." of OPTForCausalLM
        assigner.Assign(name.StartsWith("decoder.", StringComparison.Ordinal) ? "model." + name : name, value);
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

    private static IEnumerable<string> WeightFiles(string directory)
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
