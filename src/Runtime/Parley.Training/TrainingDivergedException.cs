namespace Parley.Training;

/// <summary>Thrown when a loss or gradient becomes NaN or infinite; training stops before the bad update.</summary>
/// <example>
/// <code>
/// try { trainer.Train(batches); }
/// catch (TrainingDivergedException e) { Console.Error.WriteLine(e.Message); } // says the step and what to try
/// </code>
/// </example>
public sealed class TrainingDivergedException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The optimizer step (1-based) that diverged.</param>
    /// <param name="what">What was not finite.</param>
    /// <param name="value">Its value.</param>
    public TrainingDivergedException(int step, string what, double value)
        : base($"training diverged at step {step}: the {what} is {value}; no update was applied. Lower the learning rate, " +
               "clip gradients (MaxGradNorm), train in float32 instead of 16-bit, or check the batch for labels outside the vocabulary.")
    {
        Step = step;
    }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException() : base("training diverged.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public TrainingDivergedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="inner">The cause.</param>
    public TrainingDivergedException(string message, Exception inner) : base(message, inner: inner)
    {
    }

    /// <summary>The optimizer step (1-based) that diverged.</summary>
    public int Step { get; }
}
