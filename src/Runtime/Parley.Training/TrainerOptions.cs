namespace Parley.Training;

/// <summary>
/// Settings of <see cref="LoraTrainer"/>: AdamW, schedule with warm-up, gradient accumulation and clipping, seed,
/// checkpoints. Defaults follow common QLoRA recipes.
/// </summary>
/// <example>
/// <code>
/// var options = new TrainerOptions { MaxSteps = 50, LearningRate = 3e-3, WarmupSteps = 5, CheckpointDirectory = "ckpt", CheckpointEvery = 10 };
/// </code>
/// </example>
public sealed record TrainerOptions
{
    /// <summary>Optimizer steps to run.</summary>
    public int MaxSteps { get; init; } = 100;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdamW beta1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW beta2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>AdamW epsilon.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>The decay after warm-up.</summary>
    public LearningRateScheduleKind Schedule { get; init; } = LearningRateScheduleKind.Linear;

    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Clip the global gradient norm to this (0 or less: no clipping).</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Seed of dropout and initialisation; each step reseeds from it, so runs (and resumed runs) repeat.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>
    /// Recompute each decoder layer's activations in backward instead of keeping them (HF's
    /// <c>gradient_checkpointing</c>): less memory, about one more forward per step, the same gradients. Sets
    /// <see cref="Models.CausalLanguageModel.GradientCheckpointing"/> on the model. Default off.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>Folder for checkpoints, or null for none.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Write a checkpoint every this many optimizer steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>
    /// What else determines the run (template, tokenizer, data hash, model, packing...), as name → value. A checkpoint
    /// records it with the trainer's own settings; resuming with a different value is refused, naming the field.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fingerprint { get; init; } = new Dictionary<string, string>();

    /// <summary>Resume from a checkpoint whose fingerprint differs from this run's (the differences are reported, not refused).</summary>
    public bool ForceResume { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxSteps <= 0 || GradientAccumulationSteps <= 0 || WarmupSteps < 0 || LearningRate <= 0 || CheckpointEvery < 0)
        {
            throw new ArgumentException(
                $"trainer options out of range: MaxSteps {MaxSteps} and GradientAccumulationSteps {GradientAccumulationSteps} must be positive, " +
                $"WarmupSteps {WarmupSteps} and CheckpointEvery {CheckpointEvery} not negative, LearningRate {LearningRate} positive.");
        }
    }
}
