using System.Diagnostics;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using static TorchSharp.torch;

namespace Parley.Benchmarks.Training;

/// <summary>
/// Peak resident memory of QLoRA steps with and without activation checkpointing, one mode per process (peak RSS only
/// grows within a process): <c>dotnet run -c Release --project benchmarks/Parley.Benchmarks -- checkpoint-memory on|off</c>.
/// The model is a random Llama (8 layers, width 256, 8 heads, SwiGLU 688, vocab 512) so that activations, not the
/// process's fixed ~200 MiB, dominate; batch 4 x 512 tokens, one libtorch thread. The peak is measured from a reset
/// (<c>/proc/self/clear_refs</c> "5") after the model and trainer are built, so it counts what the steps add
/// (activations, gradients, AdamW state; freed memory stays with the allocator, so the first step's peak is the peak).
/// </summary>
internal static class CheckpointMemory
{
    public static void Run(string mode)
    {
        var checkpointing = mode == "on";
        set_num_threads(1);
        manual_seed(0);
        var config = new LlamaConfig
        {
            VocabSize = 512, HiddenSize = 256, IntermediateSize = 688, NumLayers = 8, NumHeads = 8, NumKeyValueHeads = 8,
            MaxPositionEmbeddings = 512, TieWordEmbeddings = true,
        };
        using var model = new LlamaForCausalLM(config);
        model.InitializeWeights();
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        LoraInjector.Apply(model, new LoraConfig());
        const int rows = 4, columns = 512;
        var random = new Random(0);
        var ids = Enumerable.Range(0, rows * columns).Select(_ => (long)random.Next(3, 512)).ToArray();
        TrainingBatch[] batch = [new TrainingBatch(ids, ids, rows, columns)];
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 1000, LearningRate = 1e-4, GradientCheckpointing = checkpointing });
        var before = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
        var clock = Stopwatch.StartNew();
        trainer.Train(batch, stopAfterStep: 3);
        var perStep = clock.Elapsed.TotalMilliseconds / 3;
        var peak = Status("VmHWM");
        Console.WriteLine($"checkpointing {mode}: RSS after building the model {before >> 10} MiB, peak during 3 steps {peak >> 10} MiB " +
                          $"(+{(peak - before) >> 10} MiB), {perStep:F0} ms/step, losses {string.Join(", ", trainer.Losses.Select(l => l.ToString("F4")))}");
    }

    /// <summary>A /proc/self/status field in KiB.</summary>
    private static long Status(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
