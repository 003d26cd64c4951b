using System.Globalization;
using Parley.Labels;

namespace Parley.Training.Sft;

/// <summary>
/// Where <see cref="SftPipeline"/> reports: one line per step of the chapter, the example's tokens, and training
/// progress. The runtime has no console dependency: apps render these (Spectre.Console progress bar, plain stderr).
/// </summary>
/// <example>
/// <code>
/// sealed class Quiet : ISftReporter { public void Step(string name, string text) { } }
/// </code>
/// </example>
public interface ISftReporter
{
    /// <summary>One step of the pipeline, as one line (<paramref name="text"/> may hold a few indented lines).</summary>
    /// <param name="name">A short name: data, model, tokenizer, resize, template, labels, packing, qlora, training, generate, saved.</param>
    /// <param name="text">What the step did.</param>
    /// <example><code>reporter.Step("data", "240 rows from yoda_pairs.csv");</code></example>
    void Step(string name, string text);

    /// <summary>The example's tokens and which are trained; by default a <see cref="Step"/> line with ⟦trained⟧ tokens.</summary>
    /// <param name="summary">"N tokens, M trained".</param>
    /// <param name="tokens">Each token's visible text and whether its label is trained.</param>
    /// <example><code>reporter.Labels("12 tokens, 5 trained", [("Hi", false), ("!", true)]);</code></example>
    void Labels(string summary, IReadOnlyList<(string Piece, bool Trained)> tokens) =>
        Step("labels", summary + ": " + string.Join("|", tokens.Select(t => t.Trained ? $"⟦{t.Piece}⟧" : t.Piece)));

    /// <summary>
    /// Runs training: call <paramref name="train"/> once with a callback for each optimizer step (to drive a progress
    /// bar). By default it trains silently.
    /// </summary>
    /// <param name="firstStep">The step training starts after (0, or the resumed checkpoint's step).</param>
    /// <param name="lastStep">The step it stops after.</param>
    /// <param name="train">Runs the training; calls its argument after each step.</param>
    /// <example><code>reporter.Training(0, 200, train);</code></example>
    void Training(int firstStep, int lastStep, Action<Action<TrainingProgress>> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        train(_ => { });
    }
}

/// <summary>Plain-text reporting for logs and redirected output: step lines with elapsed seconds, and a line every few training steps.</summary>
/// <example><code>var reporter = new TextWriterSftReporter(Console.Error);</code></example>
/// <param name="writer">Where lines go.</param>
/// <param name="progressLines">About how many progress lines training prints in all (0: none).</param>
public sealed class TextWriterSftReporter(TextWriter writer, int progressLines = 10) : ISftReporter
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    /// <inheritdoc/>
    public void Step(string name, string text) =>
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,5:F1}s {name,-9} {text}"));

    /// <inheritdoc/>
    public void Training(int firstStep, int lastStep, Action<Action<TrainingProgress>> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        int every = progressLines <= 0 ? int.MaxValue : Math.Max(1, (lastStep - firstStep) / progressLines);
        train(p =>
        {
            if ((p.Step - firstStep) % every == 0 || p.Step == lastStep)
            {
                Step("step", string.Create(CultureInfo.InvariantCulture, $"{p.Step}/{lastStep} loss {p.Loss:F3} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s"));
            }
        });
    }
}
