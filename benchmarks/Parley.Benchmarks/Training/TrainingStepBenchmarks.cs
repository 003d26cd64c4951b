using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using static TorchSharp.torch;

namespace Parley.Benchmarks.Training;

/// <summary>
/// One optimizer step (forward, backward, AdamW) on stories260K, batch 8 x 64 tokens, one libtorch thread — the same
/// shape as the PyTorch peer (benchmarks/peers/training_lora_step.py). Tokens/s = 512 / mean. Runs in process: the
/// generated out-of-process project does not carry the native libtorch and its load fix.
/// </summary>
[Config(typeof(InProcessConfig))]
[MinColumn]
[MedianColumn]
public class TrainingStepBenchmarks
{
    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15));
    }

    private const int Rows = 8;
    private const int Columns = 64;
    private LlamaForCausalLM? model;
    private LoraTrainer? trainer;
    private TrainingBatch[] batch = [];

    /// <summary>full-fp32: every parameter trains; lora-fp32: LoRA r=16 on a float base; nf4-lora: QLoRA.</summary>
    [Params("full-fp32", "lora-fp32", "nf4-lora")]
    public string Mode { get; set; } = "nf4-lora";

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        model = Llama2cLoader.Load(BenchmarkFixtures.Path("models", "stories260K", "stories260K.bin"));
        if (Mode == "nf4-lora")
        {
            ModelQuantizer.Quantize(model, Nf4Options.Default);
            KbitTraining.Prepare(model);
        }
        if (Mode != "full-fp32")
        {
            manual_seed(0);
            LoraInjector.Apply(model, new LoraConfig());
        }
        var random = new Random(0);
        var ids = Enumerable.Range(0, Rows * Columns).Select(_ => (long)random.Next(3, 512)).ToArray();
        batch = [new TrainingBatch(ids, ids, Rows, Columns)];
        trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = int.MaxValue, LearningRate = 1e-4, MaxGradNorm = 1.0 });
        var report = ModelQuantizer.Report(model);
        Console.WriteLine($"// {Mode}: {report.TotalBytes} bytes of weights, {report.QuantizedBitsPerParameter:F3} bits/param in NF4 layers, " +
                          $"{model.parameters().Where(p => p.requires_grad).Sum(p => p.numel())} trainable parameters");
    }

    [Benchmark]
    public void OptimizerStep() => trainer!.Train(batch, stopAfterStep: trainer.Step + 1);

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// {Mode}: peak working set {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB");
        trainer?.Dispose();
        model?.Dispose();
    }
}
