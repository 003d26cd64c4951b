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

if (args is ["--tokenizer-survey", .. var names])
{
    Parley.Benchmarks.Tokenization.TokenizerSurvey.Run(names);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
