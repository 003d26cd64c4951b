using BenchmarkDotNet.Running;
using Parley.Benchmarks.Training;

if (args is ["checkpoint-memory", var mode])
{
    CheckpointMemory.Run(mode); // not a BenchmarkDotNet job: peak memory needs one process per mode
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
