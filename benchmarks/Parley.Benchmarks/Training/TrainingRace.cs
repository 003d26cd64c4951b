using System.Diagnostics;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using static TorchSharp.torch;

namespace Parley.Benchmarks.Training;

/// <summary>
/// Optimizer steps timed side by side with <c>benchmarks/peers/training_race.py</c>, one model/mode/thread count per
/// process (peak RSS only grows within a process):
/// <c>dotnet run -c Release --project benchmarks/Parley.Benchmarks -- training-race llama29m|stories260K full-fp32|lora-fp32|nf4-lora THREADS [STEPS [DEVICE]]</c>.
/// llama29m is a random Llama of 29.5M parameters (dim 512, 8 layers, 8 heads, SwiGLU 1376, vocab 8192, tied head)
/// on batches of 4 x 256 tokens; stories260K is llama2.c's model on 8 x 64. Each step is forward, backward, clipping at
/// 1.0 and AdamW; LoRA is r=16, alpha=32, dropout 0.05 on all seven projections. Reports the median and minimum step
/// time, tokens/s at the median, the median process CPU time per step (what a step costs when other processes share
/// the cores), CPU time / wall time (how many cores the step really used) and peak RSS. With <c>PARLEY_PROFILE=1</c> it
/// prints a measured profile of the step instead (<see cref="StepProfile"/>); with <c>PARLEY_PERF_CTL=FIFO</c> it
/// switches a <c>perf record -D -1 --control fifo:FIFO</c> on for the timed steps only.
/// </summary>
internal static class TrainingRace
{
    public static void Run(string modelName, string mode, int threads, int steps, string deviceName = "cpu")
    {
        var device = TrainingDevice.Resolve(deviceName);
        set_num_threads(threads);
        manual_seed(0);
        LlamaForCausalLM model;
        int rows, columns;
        if (modelName == "stories260K")
        {
            model = Llama2cLoader.Load(BenchmarkFixtures.Path("models", "stories260K", "stories260K.bin"), device);
            (rows, columns) = (8, 64);
        }
        else if (modelName == "llama29m")
        {
            model = new LlamaForCausalLM(Llama29M, device);
            model.InitializeWeights();
            (rows, columns) = (4, 256);
        }
        else
        {
            throw new ArgumentException($"model \"{modelName}\": use llama29m or stories260K.");
        }
        if (mode == "nf4-lora")
        {
            ModelQuantizer.Quantize(model, Nf4Options.Default);
            KbitTraining.Prepare(model);
        }
        if (mode != "full-fp32")
        {
            LoraInjector.Apply(model, new LoraConfig());
        }
        var vocab = model.VocabSize;
        var random = new Random(0);
        var ids = Enumerable.Range(0, rows * columns).Select(_ => (long)random.Next(3, vocab)).ToArray();
        TrainingBatch[] batch = [new TrainingBatch(ids, ids, rows, columns)];
        const int warmup = 2;
        if (Environment.GetEnvironmentVariable("PARLEY_PROFILE") == "1")
        {
            StepProfile.Run(model, batch[0], warmup, steps);
            model.Dispose();
            return;
        }
        // PARLEY_PERF_CTL: the control fifo of `perf record -D -1 --control fifo:PATH`, so a sampling profile covers the
        // timed steps only (not start-up, model creation, quantization or the warm-up)
        using var perf = Environment.GetEnvironmentVariable("PARLEY_PERF_CTL") is { Length: > 0 } fifo ? new StreamWriter(fifo) { AutoFlush = true } : null;
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = int.MaxValue, LearningRate = 1e-4, MaxGradNorm = 1.0 });
        var trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        var wall = new List<double>();
        var cpuPerStep = new List<double>();
        var cpu = 0.0;
        var wallTotal = 0.0;
        var process = Process.GetCurrentProcess();
        for (var step = 0; step < warmup + steps; step++)
        {
            if (step == warmup)
            {
                perf?.WriteLine("enable");
            }
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            trainer.Train(batch, stopAfterStep: trainer.Step + 1);
            var elapsed = clock.Elapsed.TotalSeconds;
            process.Refresh();
            if (step >= warmup)
            {
                wall.Add(elapsed);
                wallTotal += elapsed;
                var stepCpu = (process.TotalProcessorTime - cpuStart).TotalSeconds;
                cpu += stepCpu;
                cpuPerStep.Add(stepCpu);
            }
        }
        perf?.WriteLine("disable");
        wall.Sort();
        cpuPerStep.Sort();
        var median = wall[wall.Count / 2];
        var cpuMedian = cpuPerStep[cpuPerStep.Count / 2];
        Console.WriteLine($"parley\t{device.type}\t{modelName}\t{mode}\tthreads {threads}\tmedian {median * 1000:F0} ms\tmin {wall[0] * 1000:F0} ms\t" +
                          $"{rows * columns / median:F0} tokens/s\tcpu {cpuMedian * 1000:F0} ms/step\tcpu/wall {cpu / wallTotal:F2}\tpeak RSS {PeakRssMiB()} MiB\ttrainable {trainable}\tloss {trainer.Losses[^1]:F4}");
        model.Dispose();
    }

    /// <summary>The 29.5M-parameter Llama of the race (dim 512, 8 layers, SwiGLU 1376, vocab 8192, tied head).</summary>
    public static LlamaConfig Llama29M { get; } = new()
    {
        VocabSize = 8192, HiddenSize = 512, IntermediateSize = 1376, NumLayers = 8, NumHeads = 8, NumKeyValueHeads = 8,
        MaxPositionEmbeddings = 256, TieWordEmbeddings = true,
    };

    private static long PeakRssMiB() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) >> 10;
}
