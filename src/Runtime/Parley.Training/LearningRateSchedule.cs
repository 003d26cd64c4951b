namespace Parley.Training;

/// <summary>The shape of the learning rate over training.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>Warm-up, then constant.</summary>
    Constant,

    /// <summary>Warm-up, then linear decay to 0 at the last step (Hugging Face's default).</summary>
    Linear,

    /// <summary>Warm-up, then half a cosine down to 0 at the last step.</summary>
    Cosine,
}

/// <summary>
/// The learning-rate multiplier at an optimizer step, as Hugging Face's <c>get_*_schedule_with_warmup</c> compute it:
/// <c>step / warmup</c> during warm-up, then the chosen decay over the remaining steps.
/// </summary>
/// <example>
/// <code>
/// double lr = 2e-4 * LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, step: 10, warmupSteps: 5, totalSteps: 50);
/// </code>
/// </example>
public static class LearningRateSchedule
{
    /// <summary>The multiplier (0..1) for optimizer step <paramref name="step"/> (0-based).</summary>
    /// <param name="kind">The schedule.</param>
    /// <param name="step">The optimizer step about to be taken.</param>
    /// <param name="warmupSteps">Linear warm-up steps.</param>
    /// <param name="totalSteps">All optimizer steps.</param>
    /// <returns>The factor.</returns>
    public static double Factor(LearningRateScheduleKind kind, int step, int warmupSteps, int totalSteps)
    {
        if (step < warmupSteps)
        {
            return (double)step / Math.Max(1, warmupSteps);
        }
        var progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return kind switch
        {
            LearningRateScheduleKind.Constant => 1.0,
            LearningRateScheduleKind.Linear => Math.Max(0.0, 1.0 - progress),
            LearningRateScheduleKind.Cosine => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown schedule"),
        };
    }
}
