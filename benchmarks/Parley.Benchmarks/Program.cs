using BenchmarkDotNet.Running;
using Parley.Benchmarks.Training;

if (args is ["checkpoint-memory", var mode])
{
    CheckpointMemory.Run(mode); // not a BenchmarkDotNet job: peak memory needs one process per mode
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
