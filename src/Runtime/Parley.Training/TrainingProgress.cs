namespace Parley.Training;

/// <summary>What the trainer reports after each optimizer step.</summary>
/// <example>
/// <code>
/// trainer.Train(batches, p => Console.WriteLine($"step {p.Step} loss {p.Loss:F4} lr {p.LearningRate:E2} {p.TokensPerSecond:F0} tok/s"));
/// </code>
/// </example>
/// <param name="Step">Optimizer steps done (1-based).</param>
/// <param name="Loss">Mean loss of the step's micro-batches.</param>
/// <param name="LearningRate">The learning rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="TokensPerSecond">Input tokens processed per second in this step.</param>
public sealed record TrainingProgress(int Step, double Loss, double LearningRate, double GradNorm, double TokensPerSecond);
