using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Training.Lora;
using static TorchSharp.torch;

namespace Parley.Training.Peft;

/// <summary>
/// Saves and loads LoRA adapters as PEFT files: <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha,
/// lora_dropout, target_modules, task_type, bias, base_model_name_or_path, use_rslora) and
/// <c>adapter_model.safetensors</c> with PEFT key names
/// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c> …), so an adapter trained here loads in
/// Hugging Face PEFT and back into Parley.
/// </summary>
/// <example>
/// <code>
/// PeftAdapter.Save(model, "out/yoda-adapter", loraConfig, baseModelNameOrPath: "karpathy/tinyllamas");
/// // later, on a fresh base model:
/// LoraConfig config = PeftAdapter.Load(freshModel, "out/yoda-adapter");
/// </code>
/// </example>
public static class PeftAdapter
{
    /// <summary>The config file name.</summary>
    public const string ConfigFileName = "adapter_config.json";

    /// <summary>The weights file name.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    private const string Prefix = "base_model.model.";

    /// <summary>Writes the adapter files (each atomically) into <paramref name="directory"/>.</summary>
    /// <param name="model">A model with adapters (from <see cref="LoraInjector.Apply"/>).</param>
    /// <param name="directory">The output folder (created when missing).</param>
    /// <param name="config">The LoRA settings the adapters were made with.</param>
    /// <param name="baseModelNameOrPath">Written as <c>base_model_name_or_path</c>.</param>
    /// <exception cref="InvalidOperationException">The model has no adapters.</exception>
    public static void Save(nn.Module model, string directory, LoraConfig config, string? baseModelNameOrPath = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var tensors = AdapterTensors(model);
        if (tensors.Count == 0)
        {
            throw new InvalidOperationException("the model has no LoRA adapters to save; call LoraInjector.Apply first.");
        }
        Directory.CreateDirectory(directory);
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = config.TaskType,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["r"] = config.R,
            ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout,
            ["target_modules"] = new JsonArray(config.TargetModules.Select(t => (JsonNode)t!).ToArray()),
            ["bias"] = config.Bias,
            ["use_rslora"] = config.UseRsLora,
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
        };
        AtomicFile.Write(Path.Combine(directory, ConfigFileName), s => s.Write(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))));
        try
        {
            SafeTensorsFile.Save(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>The adapter weights by PEFT key name (float32, detached views sharing the parameters' storage, on the
    /// model's device); dispose them when done.</summary>
    /// <param name="model">A model with adapters.</param>
    /// <returns>Key → tensor.</returns>
    public static Dictionary<string, Tensor> AdapterTensors(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, adapter) in LoraInjector.Adapters(model))
        {
            result[$"{Prefix}{name}.lora_A.weight"] = adapter.LoraA.detach();
            result[$"{Prefix}{name}.lora_B.weight"] = adapter.LoraB.detach();
        }
        return result;
    }

    /// <summary>Reads <c>adapter_config.json</c>.</summary>
    /// <param name="directory">The adapter folder.</param>
    /// <returns>The LoRA settings.</returns>
    /// <exception cref="InvalidDataException">The file is missing a field or is not a LoRA adapter.</exception>
    public static LoraConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFileName);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        JsonElement Field(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new InvalidDataException($"{path}: field \"{name}\" is missing.");
        var peftType = Field("peft_type").GetString();
        if (peftType != "LORA")
        {
            throw new InvalidDataException($"{path}: peft_type is \"{peftType}\"; only LORA adapters are supported.");
        }
        var targets = Field("target_modules");
        return new LoraConfig
        {
            R = Field("r").GetInt32(),
            Alpha = Field("lora_alpha").GetDouble(),
            Dropout = root.TryGetProperty("lora_dropout", out var d) ? d.GetDouble() : 0,
            TargetModules = targets.ValueKind == JsonValueKind.String ? [targets.GetString()!] : targets.EnumerateArray().Select(t => t.GetString()!).ToArray(),
            UseRsLora = root.TryGetProperty("use_rslora", out var rs) && rs.ValueKind == JsonValueKind.True,
            Bias = root.TryGetProperty("bias", out var b) ? b.GetString() ?? "none" : "none",
            TaskType = root.TryGetProperty("task_type", out var tt) ? tt.GetString() ?? "CAUSAL_LM" : "CAUSAL_LM",
        };
    }

    /// <summary>Adds adapters to a base model (one without adapters) from PEFT files and loads their weights.</summary>
    /// <param name="model">The base model, changed in place.</param>
    /// <param name="directory">The adapter folder.</param>
    /// <returns>The LoRA settings read.</returns>
    /// <exception cref="InvalidDataException">A weight is missing, unexpected, or has the wrong shape.</exception>
    public static LoraConfig Load(nn.Module model, string directory)
    {
        var config = ReadConfig(directory);
        LoraInjector.Apply(model, config);
        LoadWeights(model, directory);
        return config;
    }

    /// <summary>Copies adapter weights from <c>adapter_model.safetensors</c> into a model that already has adapters.</summary>
    /// <param name="model">A model with the same adapters.</param>
    /// <param name="directory">The adapter folder.</param>
    /// <exception cref="InvalidDataException">A weight is missing, unexpected, or has the wrong shape.</exception>
    public static void LoadWeights(nn.Module model, string directory)
    {
        var path = Path.Combine(directory, WeightsFileName);
        var loaded = SafeTensorsFile.Load(path);
        var targets = AdapterTensors(model);
        try
        {
            var missing = targets.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
            var unexpected = loaded.Keys.Where(k => !targets.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
            {
                throw new InvalidDataException(
                    $"{path}: keys do not match the model's adapters (missing: {string.Join(", ", missing.Take(3))}; unexpected: {string.Join(", ", unexpected.Take(3))}); was it saved for another model or target_modules?");
            }
            using var noGrad = no_grad();
            foreach (var (name, target) in targets)
            {
                var source = loaded[name];
                if (!source.shape.SequenceEqual(target.shape))
                {
                    throw new InvalidDataException($"{path}: \"{name}\" has shape [{string.Join(", ", source.shape)}] but the model expects [{string.Join(", ", target.shape)}]; check r.");
                }
                target.copy_(source);
            }
        }
        finally
        {
            foreach (var t in loaded.Values.Concat(targets.Values))
            {
                t.Dispose();
            }
        }
    }
}
