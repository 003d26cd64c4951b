using System.Diagnostics;

namespace Parley.Runtime.Tests.Cli;

/// <summary>
/// <c>parley train</c> as a separate process, killed with SIGKILL at random points (while loading, between steps,
/// between checkpoint files, while saving the adapter) and started again until it finishes: the finished run's
/// <c>train_log.jsonl</c> and <c>adapter_model.safetensors</c> are byte-identical to an uninterrupted run's, and no
/// temporary file survives. A tiny model and 8 steps keep it to a few minutes; <c>PARLEY_KILL_POINTS</c> sets the
/// number of kills (default 12, about two minutes; the acceptance run uses 30); <c>--filter TestCategory!=Slow</c> skips it.
/// </summary>
[NonParallelizable]
[Category("Slow")]
public class CrashResumeTests
{
    private const string Config = """
        {"template": "yoda", "data": {"path": "pairs.csv", "rename": {"sentence": "prompt", "translation_extra": "completion"}, "drop": ["translation"]},
         "steps": 8, "seq_length": 64, "generation_prompts": 1, "max_new_tokens": 2, "output": "run", "checkpoint_every": 1}
        """;

    private static string NewRun(string root, int index)
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, $"run{index}")).FullName;
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv"));
        File.WriteAllLines(Path.Combine(folder, "pairs.csv"), lines.Take(21));
        File.WriteAllText(Path.Combine(folder, "train.json"), Config);
        return folder;
    }

    private static Process Start(string folder)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "Parley.Cli.dll"), "train", "--config", "train.json", "--no-progress" }) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        // Drain the pipes so a full buffer never blocks the child.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static (byte[] Log, byte[] Adapter) Outputs(string folder)
    {
        string run = Path.Combine(folder, "run");
        string[] leftovers = Directory.GetFileSystemEntries(run, "*.tmp", SearchOption.AllDirectories);
        Assert.That(leftovers, Is.Empty, "no temporary file or folder survives a finished run");
        Assert.That(Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName), Is.EqualTo(new[] { "step-000008" }));
        return (File.ReadAllBytes(Path.Combine(run, "train_log.jsonl")), File.ReadAllBytes(Path.Combine(run, "adapter", "adapter_model.safetensors")));
    }

    private static void RunToEnd(string folder)
    {
        using Process process = Start(folder);
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(3)), Is.True, "the run finishes");
        Assert.That(process.ExitCode, Is.Zero);
    }

    [Test]
    public void Killed_at_random_points_a_run_resumes_to_byte_identical_log_and_adapter()
    {
        int points = int.TryParse(Environment.GetEnvironmentVariable("PARLEY_KILL_POINTS"), out int n) ? n : 12;
        string root = Directory.CreateTempSubdirectory("parley-kill-").FullName;
        try
        {
            string reference = NewRun(root, 0);
            var watch = Stopwatch.StartNew();
            RunToEnd(reference);
            double seconds = watch.Elapsed.TotalSeconds;
            var (log, adapter) = Outputs(reference);
            Assert.That(log.Length, Is.GreaterThan(0));

            // Kill points spread over the whole run (start-up to the adapter save), reproducible from the seed.
            var random = new Random(20261130);
            int kills = 0, runs = 1, finished = 0;
            string folder = NewRun(root, runs);
            while (kills < points)
            {
                TimeSpan at = TimeSpan.FromSeconds(seconds * (0.25 + 0.8 * random.NextDouble()));
                using Process process = Start(folder);
                if (!process.WaitForExit(at))
                {
                    process.Kill(); // SIGKILL on Unix: no finally blocks, no flushes
                    process.WaitForExit();
                    kills++;
                    continue;
                }

                Assert.That(process.ExitCode, Is.Zero, $"run {runs} after {kills} kills");
                var (resumedLog, resumedAdapter) = Outputs(folder);
                Assert.That(resumedLog, Is.EqualTo(log), $"train_log.jsonl of run {runs}");
                Assert.That(resumedAdapter, Is.EqualTo(adapter), $"adapter_model.safetensors of run {runs}");
                finished++;
                folder = NewRun(root, ++runs);
            }

            RunToEnd(folder);
            var (lastLog, lastAdapter) = Outputs(folder);
            Assert.That(lastLog, Is.EqualTo(log));
            Assert.That(lastAdapter, Is.EqualTo(adapter));
            TestContext.Out.WriteLine($"{kills} kills over {runs} runs ({finished + 1} finished after kills); one run takes {seconds:F1} s");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
