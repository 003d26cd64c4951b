using System.Globalization;
using Parley.Data;
using Parley.Training;
using Parley.Training.Sft;
using Spectre.Console;

namespace Parley.Samples.Yoda;

/// <summary>
/// The seed chapter end to end: the runtime's <see cref="SftPipeline"/> (data → template → tokenizer rules → labels →
/// BFD packing → QLoRA → generations before and after → PEFT adapter and loss plot) with the sample's
/// <see cref="YodaTemplate"/>, the seed's column mapping and a Spectre.Console reporter.
/// </summary>
public sealed class YodaPipeline(YodaOptions options, IAnsiConsole console)
{
    /// <summary>The embedded default dataset, copied next to the sample's binaries.</summary>
    public static string DefaultData => Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv");

    /// <summary>The seed's <c>FORMAT_MAPPING</c>: sentence → prompt, translation_extra → completion, translation dropped.</summary>
    public static ColumnMapping Columns() =>
        new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation");

    /// <summary>The runtime options this sample's options stand for.</summary>
    public SftOptions ToSftOptions() => new()
    {
        Data = options.Data ?? DefaultData,
        DataNote = (options.Data is null ? " (the project's own Yoda-style pairs)" : "") + ": sentence → prompt, translation_extra → completion, translation dropped",
        Columns = Columns(),
        Tokenizer = options.Tokenizer,
        Model = options.Model,
        Steps = options.Steps,
        SeqLength = options.SeqLength,
        BatchRows = options.BatchRows,
        LearningRate = options.LearningRate,
        Seed = options.Seed,
        Device = options.Device,
        Output = options.Output,
        PlotTitle = "Yoda QLoRA: loss per step",
    };

    /// <summary>Runs the chapter.</summary>
    public SftResult Run() => new SftPipeline(YodaTemplate.Instance, ToSftOptions(), new SpectreSftReporter(console, options.Progress)).Run();
}

/// <summary>Step lines in colour, trained tokens in green, and a live progress bar while training.</summary>
public sealed class SpectreSftReporter(IAnsiConsole console, bool progress) : ISftReporter
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    /// <inheritdoc/>
    public void Step(string name, string text) => StepMarkup(name, Markup.Escape(text));

    /// <inheritdoc/>
    public void Labels(string summary, IReadOnlyList<(string Piece, bool Trained)> tokens) =>
        // Trained tokens in ⟦ ⟧ as well as green, so the marks survive a pipe or a log without colour.
        StepMarkup("labels", Markup.Escape(summary) + ": " + string.Join("[grey]│[/]", tokens.Select(t => t.Trained ? $"[green]⟦{Markup.Escape(t.Piece)}⟧[/]" : $"[grey]{Markup.Escape(t.Piece)}[/]")));

    /// <inheritdoc/>
    public void Training(int firstStep, int lastStep, Action<Action<TrainingProgress>> train)
    {
        if (!progress)
        {
            // Piped output: a plain step line about every tenth of the run, so a log shows the run is alive.
            int every = Math.Max(1, (lastStep - firstStep) / 10);
            train(p =>
            {
                if ((p.Step - firstStep) % every == 0 || p.Step == lastStep)
                {
                    Step("step", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Step}/{lastStep} loss {p.Loss:F3} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s"));
                }
            });
            return;
        }

        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("QLoRA", maxValue: lastStep);
                task.Value = firstStep;
                train(p =>
                {
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"QLoRA step {p.Step} loss {p.Loss:F3} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s");
                    task.Increment(1);
                });
            });
    }

    private void StepMarkup(string name, string markup) =>
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]{_clock.Elapsed.TotalSeconds,5:F1}s[/] [bold blue]{name,-9}[/] {markup}"));
}
