namespace Parley.Training.Sft;

/// <summary>What one <see cref="SftPipeline"/> run produced.</summary>
/// <example><code>SftResult r = pipeline.Run(); Console.WriteLine($"{r.EvalLossBefore:F3} → {r.EvalLossAfter:F3}");</code></example>
/// <param name="TrainRows">Rows trained on.</param>
/// <param name="EvalRows">Rows held out.</param>
/// <param name="PackedFill">BFD's fill of the packed rows.</param>
/// <param name="PaddedFill">Plain padding's fill (batches of 8, padded to the longest).</param>
/// <param name="EvalLossBefore">Eval loss before this run's training (at <paramref name="ResumedFromStep"/>).</param>
/// <param name="EvalLossAfter">Eval loss at the end.</param>
/// <param name="TrainLoss">Train loss per optimizer step (including the steps before a resume).</param>
/// <param name="EvalLoss">Eval loss at the steps it was measured.</param>
/// <param name="ResumedFromStep">The checkpoint's step this run continued from (0: a fresh run).</param>
/// <param name="LastStep">The last optimizer step done.</param>
/// <param name="Generations">Per held-out prompt: the prompt, the generation before and after training.</param>
/// <param name="AdapterDirectory">The PEFT adapter folder.</param>
/// <param name="PlotPath">The loss plot.</param>
/// <param name="LogPath">The JSONL log (one line per step).</param>
public sealed record SftResult(
    int TrainRows,
    int EvalRows,
    double PackedFill,
    double PaddedFill,
    double EvalLossBefore,
    double EvalLossAfter,
    IReadOnlyList<(int Step, double Loss)> TrainLoss,
    IReadOnlyList<(int Step, double Loss)> EvalLoss,
    int ResumedFromStep,
    int LastStep,
    IReadOnlyList<(string Prompt, string Before, string After)> Generations,
    string AdapterDirectory,
    string PlotPath,
    string LogPath);
