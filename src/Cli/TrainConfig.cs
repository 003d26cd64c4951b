using System.Globalization;
using System.Text.Json;
using Parley.Data;
using Parley.Templates;
using Parley.Training.Lora;
using Parley.Training.Quantization;
using Parley.Training.Sft;

namespace Parley.Cli;

/// <summary>
/// The JSON config of <c>parley train</c>, read strictly: every error names the config file and the JSON field.
/// Relative paths are resolved against the config file's folder.
/// </summary>
internal static class TrainConfig
{
    public const string Schema = """
        Config (JSON; relative paths are relative to the config file; only "template" and "data" are required):
          template          "phi3" | "chatml" | "qwen3" | "llama3.1" | "gemma3" | "deepseek-v3" (conversations;
                            prompt/completion rows become user + assistant turns)
                            | "yoda" (prompt/completion: "{prompt} ##[YODA]##> {completion}</s>", the seed's format)
                            | a model's tokenizer_config.json or .jinja file (compiled at run time, cached)
          data              "train.jsonl" (CSV/JSONL/Parquet), or {"path": "pairs.csv", "rename": {"sentence": "prompt"},
                            "drop": ["translation"]} to map columns to prompt/completion or messages
          tokenizer         tokenizer.json, its folder, a SentencePiece .model, "gpt2", "cl100k_base";
                            default: GPT-2 BPE with OPT's <s> </s> <pad> <unk>
          model             an HF folder (config.json + safetensors) or a llama2.c .bin; default: a tiny Llama from "seed"
          steps 200, seq_length 128, batch_rows 2, learning_rate 0.002, seed 42, device "cpu" ("cuda", "auto"),
          eval_fraction 0.1, generation_prompts 3, max_new_tokens 24,
          lora {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": ["q_proj", ...], "use_rslora": false},
          nf4 {"block_size": 64, "double_quant": true},
          output "out" (adapter/, loss.svg, train_log.jsonl, checkpoints/),
          checkpoint_every 0 (steps between checkpoints; 0: none), resume true (continue from output/checkpoints;
                            refused when the checkpoint was written with other settings, unless --force-resume),
          bad_rows "fail" ("skip": skip and count rows that cannot be read)
        Example (train.json):
          {"template": "yoda",
           "data": {"path": "yoda_pairs.csv", "rename": {"sentence": "prompt", "translation_extra": "completion"}, "drop": ["translation"]},
           "steps": 200, "learning_rate": 0.002, "output": "out", "checkpoint_every": 50}
        """;

    private static readonly HashSet<string> Fields =
    [
        "template", "data", "tokenizer", "model", "steps", "seq_length", "batch_rows", "learning_rate", "seed", "device",
        "eval_fraction", "generation_prompts", "max_new_tokens", "lora", "nf4", "output", "checkpoint_every", "resume", "bad_rows",
    ];

    /// <summary>Reads <paramref name="path"/> into the template and the pipeline's options.</summary>
    /// <exception cref="CliInputException">The file is missing, not JSON, or a field is missing, mistyped, unknown or names a missing file.</exception>
    public static (IChatTemplate Template, SftOptions Options) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliInputException($"--config '{path}': no such file.");
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        using JsonDocument document = Parse(path);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Bad(path, "$", $"the config must be a JSON object, not {Kind(root)}.");
        }

        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!Fields.Contains(property.Name))
            {
                throw Bad(path, property.Name, $"unknown field (known: {string.Join(", ", Fields)}).");
            }
        }

        string templateName = String(path, root, "template") ?? throw Bad(path, "template", $"missing: name a built-in template ({KnownTemplates}) or a tokenizer_config.json / .jinja file.");
        IChatTemplate template = Template(path, folder, templateName);

        var (data, columns, note) = Data(path, folder, root);
        var defaults = new SftOptions { Data = data };
        var options = defaults with
        {
            Columns = columns,
            DataNote = note,
            Tokenizer = Tokenizer(path, folder, root),
            Model = ExistingPath(path, folder, root, "model"),
            Steps = Int(path, root, "steps") ?? defaults.Steps,
            SeqLength = Int(path, root, "seq_length") ?? defaults.SeqLength,
            BatchRows = Int(path, root, "batch_rows") ?? defaults.BatchRows,
            LearningRate = Number(path, root, "learning_rate") ?? defaults.LearningRate,
            Seed = Int(path, root, "seed") ?? defaults.Seed,
            Device = String(path, root, "device") ?? defaults.Device,
            EvalFraction = Number(path, root, "eval_fraction") ?? defaults.EvalFraction,
            GenerationPrompts = Int(path, root, "generation_prompts") ?? defaults.GenerationPrompts,
            MaxNewTokens = Int(path, root, "max_new_tokens") ?? defaults.MaxNewTokens,
            Lora = Lora(path, root),
            Nf4 = Nf4(path, root),
            Output = String(path, root, "output") is { } output ? Path.Combine(folder, output) : Path.Combine(folder, "out"),
            CheckpointEvery = Int(path, root, "checkpoint_every") ?? 0,
            Resume = Bool(path, root, "resume") ?? true,
            BadRows = String(path, root, "bad_rows") switch
            {
                null or "fail" => BadRowPolicy.Throw,
                "skip" => BadRowPolicy.Skip,
                var other => throw Bad(path, "bad_rows", $"'{other}': use \"fail\" (stop at the first bad row) or \"skip\" (skip and count)."),
            },
        };

        try
        {
            options.Validate();
        }
        catch (ConfigException e)
        {
            throw Bad(path, e.Field!, e.Problem[(e.Field!.Length + 2)..]);
        }

        if (options.Device is not ("cpu" or "cuda" or "auto") && !options.Device.StartsWith("cuda:", StringComparison.Ordinal))
        {
            throw Bad(path, "device", $"'{options.Device}': use cpu, cuda, cuda:N or auto.");
        }

        return (template, options);
    }

    private static string KnownTemplates => string.Join(", ", [.. BuiltInTemplates.Names, "yoda"]);

    // A built-in name first, so a file that happens to be called "phi3" next to the config does not shadow it.
    private static IChatTemplate Template(string path, string folder, string name)
    {
        if (name.Equals("yoda", StringComparison.OrdinalIgnoreCase)) return YodaPromptCompletion.Instance;
        if (BuiltInTemplates.Find(name) is { } builtIn) return builtIn;
        string file = Path.Combine(folder, name);
        if (!File.Exists(file))
        {
            throw Bad(path, "template", $"'{name}' is neither a built-in template ({KnownTemplates}) nor a tokenizer_config.json / .jinja file next to the config.");
        }

        try
        {
            return JinjaTemplateLoader.Load(file, JinjaMode.Compiled);
        }
        catch (ParleyException e)
        {
            throw Bad(path, "template", e.Message);
        }
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new CliInputException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message}");
        }
    }

    private static (string Data, ColumnMapping Columns, string? Note) Data(string path, string folder, JsonElement root)
    {
        if (!root.TryGetProperty("data", out JsonElement data) || data.ValueKind == JsonValueKind.Null)
        {
            throw Bad(path, "data", "missing: name the dataset (a path, or {\"path\": ..., \"rename\": {...}, \"drop\": [...]}).");
        }

        var columns = new ColumnMapping();
        var notes = new List<string>();
        string field = "data";
        JsonElement file = data;
        if (data.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in data.EnumerateObject())
            {
                if (property.Name is not ("path" or "rename" or "drop"))
                {
                    throw Bad(path, "data." + property.Name, "unknown field (known: path, rename, drop).");
                }
            }

            field = "data.path";
            if (!data.TryGetProperty("path", out file))
            {
                throw Bad(path, field, "missing: the dataset file.");
            }

            if (data.TryGetProperty("rename", out JsonElement rename))
            {
                if (rename.ValueKind != JsonValueKind.Object) throw Bad(path, "data.rename", $"expected an object of column → new name, got {Kind(rename)}.");
                foreach (JsonProperty pair in rename.EnumerateObject())
                {
                    if (pair.Value.ValueKind != JsonValueKind.String) throw Bad(path, "data.rename." + pair.Name, $"expected a string, got {Kind(pair.Value)}.");
                    columns.Rename(pair.Name, pair.Value.GetString()!);
                    notes.Add($"{pair.Name} → {pair.Value.GetString()}");
                }
            }

            if (data.TryGetProperty("drop", out JsonElement drop))
            {
                if (drop.ValueKind != JsonValueKind.Array) throw Bad(path, "data.drop", $"expected an array of column names, got {Kind(drop)}.");
                int i = 0;
                foreach (JsonElement name in drop.EnumerateArray())
                {
                    if (name.ValueKind != JsonValueKind.String) throw Bad(path, $"data.drop[{i}]", $"expected a string, got {Kind(name)}.");
                    columns.Drop(name.GetString()!);
                    notes.Add($"{name.GetString()} dropped");
                    i++;
                }
            }
        }

        if (file.ValueKind != JsonValueKind.String)
        {
            throw Bad(path, field, $"expected a path (string){(field == "data" ? " or an object" : "")}, got {Kind(file)}.");
        }

        string full = Path.Combine(folder, file.GetString()!);
        if (!File.Exists(full))
        {
            throw Bad(path, field, $"no such file '{full}'.");
        }

        return (full, columns, notes.Count == 0 ? null : ": " + string.Join(", ", notes));
    }

    private static string? Tokenizer(string path, string folder, JsonElement root)
    {
        string? spec = String(path, root, "tokenizer");
        if (spec is null or "gpt2" or "cl100k_base") return spec;
        string full = Path.Combine(folder, spec);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw Bad(path, "tokenizer", $"no such file or folder '{full}' (give a tokenizer.json, its folder, a SentencePiece .model, gpt2 or cl100k_base).");
        }

        return full;
    }

    private static string? ExistingPath(string path, string folder, JsonElement root, string name)
    {
        string? value = String(path, root, name);
        if (value is null) return null;
        string full = Path.Combine(folder, value);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw Bad(path, name, $"no such file or folder '{full}'.");
        }

        return full;
    }

    private static LoraConfig Lora(string path, JsonElement root)
    {
        var lora = new LoraConfig();
        if (!Section(path, root, "lora", ["r", "alpha", "dropout", "target_modules", "use_rslora"], out JsonElement section)) return lora;
        return lora with
        {
            R = Int(path, section, "r", "lora.") ?? lora.R,
            Alpha = Number(path, section, "alpha", "lora.") ?? lora.Alpha,
            Dropout = Number(path, section, "dropout", "lora.") ?? lora.Dropout,
            UseRsLora = Bool(path, section, "use_rslora", "lora.") ?? lora.UseRsLora,
            TargetModules = Strings(path, section, "target_modules", "lora.") ?? lora.TargetModules,
        };
    }

    private static Nf4Options Nf4(string path, JsonElement root)
    {
        var nf4 = Nf4Options.Default;
        if (!Section(path, root, "nf4", ["block_size", "double_quant"], out JsonElement section)) return nf4;
        try
        {
            return nf4 with
            {
                BlockSize = Int(path, section, "block_size", "nf4.") ?? nf4.BlockSize,
                DoubleQuant = Bool(path, section, "double_quant", "nf4.") ?? nf4.DoubleQuant,
            };
        }
        catch (ArgumentException e)
        {
            throw Bad(path, "nf4.block_size", e.Message);
        }
    }

    private static bool Section(string path, JsonElement root, string name, string[] known, out JsonElement section)
    {
        if (!root.TryGetProperty(name, out section) || section.ValueKind == JsonValueKind.Null) return false;
        if (section.ValueKind != JsonValueKind.Object) throw Bad(path, name, $"expected an object, got {Kind(section)}.");
        foreach (JsonProperty property in section.EnumerateObject())
        {
            if (!known.Contains(property.Name)) throw Bad(path, $"{name}.{property.Name}", $"unknown field (known: {string.Join(", ", known)}).");
        }

        return true;
    }

    private static string? String(string path, JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad(path, prefix + name, $"expected a string, got {Kind(value)}.");
    }

    private static int? Int(string path, JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n : throw Bad(path, prefix + name, $"expected an integer, got {Kind(value)}.");
    }

    private static double? Number(string path, JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Bad(path, prefix + name, $"expected a number, got {Kind(value)}.");
    }

    private static bool? Bool(string path, JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Bad(path, prefix + name, $"expected true or false, got {Kind(value)}.");
    }

    private static string[]? Strings(string path, JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw Bad(path, prefix + name, $"expected an array of strings, got {Kind(value)}.");
        }

        return value.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => "the number " + value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static ConfigException Bad(string path, string field, string problem) => new(path, field, problem);
}
