using System.CommandLine;
using System.Globalization;
using Parley.Training;
using Parley.Training.Sft;
using Spectre.Console;

namespace Parley.Cli;

/// <summary><c>parley train</c>: QLoRA fine-tuning from a JSON config, with progress, checkpoints and PEFT adapter export.</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<string>("--config") { Description = "The JSON config (schema below).", Required = true };
        var stopAfter = new Option<int?>("--stop-after-step") { Description = "Stop after this step (with checkpoint_every, a later run resumes from the last checkpoint)." };
        var forceResume = new Option<bool>("--force-resume") { Description = "Resume from the checkpoint even when it was written with other settings (template, data, tokenizer, hyper-parameters)." };
        var noProgress = new Option<bool>("--no-progress") { Description = "Plain progress lines on stderr instead of a progress bar (the default when stderr is redirected)." };
        var command = new Command("train", $"""
            Fine-tunes a model with QLoRA (NF4 base + LoRA) on a dataset formatted by a compiled template: tokenizer rules
            and embedding resize, labels from the template, BFD packing, padding-free batches, greedy generations before
            and after. Writes output/adapter/ (PEFT adapter_config.json + adapter_model.safetensors), output/loss.svg,
            output/train_log.jsonl and, with checkpoint_every, output/checkpoints/ (a re-run resumes from it).
            Progress goes to stderr (a progress bar in a terminal); the adapter's path to stdout.
            Example: parley train --config train.json

            {TrainConfig.Schema}
            """)
        { config, stopAfter, forceResume, noProgress };

        command.SetAction(parse =>
        {
            string path = parse.GetValue(config)!;
            var (template, options) = TrainConfig.Read(path);
            EnsureLibtorch();
            if (parse.GetValue(stopAfter) is int stop)
            {
                if (stop < 1) throw new CliInputException($"--stop-after-step {stop}: must be at least 1.");
                options = options with { StopAfterStep = stop };
            }

            if (parse.GetValue(forceResume)) options = options with { ForceResume = true };

            bool interactive = !parse.GetValue(noProgress) && ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
            ISftReporter reporter = interactive
                ? new SpectreReporter(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }))
                : new TextWriterSftReporter(stderr);
            SftResult result = new SftPipeline(template, options, reporter).Run();
            string steps = result.ResumedFromStep >= result.LastStep
                ? $"nothing to train (already at step {result.LastStep})"
                : $"trained {template.Info.Name} steps {result.ResumedFromStep + 1}–{result.LastStep}";
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{steps}: eval loss {result.EvalLossBefore:F3} → {result.EvalLossAfter:F3}; adapter {result.AdapterDirectory}, plot {result.PlotPath}, log {result.LogPath}"));
            return ParleyCli.Ok;
        });
        return command;
    }

    /// <summary>Coloured step lines and a live progress bar on stderr.</summary>
    private sealed class SpectreReporter(IAnsiConsole console) : ISftReporter
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public void Step(string name, string text) => Line(name, Markup.Escape(text));

        public void Labels(string summary, IReadOnlyList<(string Piece, bool Trained)> tokens) =>
            Line("labels", Markup.Escape(summary) + ": " + string.Join("[grey]|[/]", tokens.Select(t => t.Trained ? $"[green]{Markup.Escape(t.Piece)}[/]" : $"[grey]{Markup.Escape(t.Piece)}[/]")));

        public void Training(int firstStep, int lastStep, Action<Action<TrainingProgress>> train) =>
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

        private void Line(string name, string markup) =>
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]{_clock.Elapsed.TotalSeconds,5:F1}s[/] [bold blue]{name,-9}[/] {markup}"));
    }

    // The packed tool leaves libtorch out (it is ~600 MB); say how to train instead of TorchSharp's package advice.
    private static void EnsureLibtorch()
    {
        try
        {
            TorchRuntime.EnsureLoaded();
        }
        catch (InvalidOperationException e)
        {
            throw new CliInputException("parley train needs libtorch, which could not be loaded: " + e.Message
                + " The Parley.Tool package does not carry libtorch: train from a project that references Parley.Training and "
                + "libtorch-cpu-linux-x64 (or TorchSharp-cuda-linux), or from a clone with `dotnet run --project src/Cli -- train`.");
        }
    }
}
