using BenchmarkDotNet.Running;
using Parley.Benchmarks.Training;

if (args is ["checkpoint-memory", var mode])
{
    CheckpointMemory.Run(mode); // not a BenchmarkDotNet job: peak memory needs one process per mode
    return;
}

if (args is ["training-race", var raceModel, var raceMode, var raceThreads, ..])
{
    // one model/mode/thread count per process, timed beside benchmarks/peers/training_race.py
    TrainingRace.Run(raceModel, raceMode, int.Parse(raceThreads, System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 8,
        args.Length > 5 ? args[5] : "cpu");
    return;
}

if (args is ["--jinja-check"])
{
    // Prints what the compiled Jinja workloads render, to compare with benchmarks/peers/jinja_*.
    Parley.Benchmarks.Jinja.JinjaCheck.Print();
    return;
}

if (args is ["--jinja-latency"])
{
    Parley.Benchmarks.Jinja.JinjaCheck.Latency();
    return;
}

if (args is ["--jinja-quick"])
{
    Parley.Benchmarks.Jinja.JinjaCheck.Quick();
    return;
}

if (args is ["--jinja-loop", var loopLabel, var loopMessages, var loopSeconds, .. var loopMode])
{
    // For a sampling profiler (perf record with DOTNET_PerfMapEnabled=1): TryFormat (or Render, or the interpreter's
    // Render) of one workload in a loop.
    var w = Parley.Benchmarks.Jinja.JinjaWorkloads.Get(loopLabel, int.Parse(loopMessages, System.Globalization.CultureInfo.InvariantCulture));
    var options = new Parley.FormatOptions { AddGenerationPrompt = w.AddGenerationPrompt };
    char[] buffer = new char[1 << 16];
    var ranges = new Parley.TextRange[256];
    var clock = System.Diagnostics.Stopwatch.StartNew();
    long calls = 0;
    while (clock.Elapsed.TotalSeconds < double.Parse(loopSeconds, System.Globalization.CultureInfo.InvariantCulture))
    {
        switch (loopMode is [var loopKind] ? loopKind : "format")
        {
            case "render":
                for (int i = 0; i < 1000; i++) w.Render(w.Variables);
                break;
            case "interpreted":
                for (int i = 0; i < 1000; i++) w.Interpreted.Render(w.Variables);
                break;
            default:
                for (int i = 0; i < 1000; i++) w.Template.TryFormat(w.Chat, buffer, out _, in options, ranges, out _);
                break;
        }

        calls += 1000;
    }

    Console.WriteLine($"{calls} calls, {clock.Elapsed.TotalMilliseconds * 1000 / calls:F3} us per call");
    return;
}

if (args is ["--tokenizer-survey", .. var names])
{
    Parley.Benchmarks.Tokenization.TokenizerSurvey.Run(names);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
