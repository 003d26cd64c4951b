using System.Diagnostics;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Benchmarks.Training;

/// <summary>
/// A measured profile of training steps on the CPU, where every libtorch op runs synchronously, so a Stopwatch around
/// a phase is that phase's cost: forward (split by module type with forward hooks, each type's time exclusive of the
/// hooked modules it calls), loss, backward, clipping, AdamW and zeroing the gradients; plus the NF4 dequantization of
/// every 4-bit layer timed on its own. The step is <see cref="LoraTrainer"/>'s (same seed per step, loss, clipping and
/// AdamW settings), written out so each phase can be timed. Used by <c>training-race … profile</c>.
/// </summary>
internal sealed class StepProfile
{
    private readonly Stack<(long Start, long Children)> open = new();
    private readonly Dictionary<string, long> exclusive = [];
    private readonly Dictionary<string, long> calls = [];

    public static void Run(CausalLanguageModel model, TrainingBatch batch, int warmup, int steps)
    {
        new StepProfile().Measure(model, batch, warmup, steps);
    }

    private void Measure(CausalLanguageModel model, TrainingBatch batch, int warmup, int steps)
    {
        foreach (var (_, module) in model.named_modules())
        {
            Hook(module);
        }
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var options = new TrainerOptions();
        using var optimizer = optim.AdamW(trainable, 1e-4, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        long[] shape = [batch.Rows, batch.Columns];
        var phases = new[] { "forward", "loss", "backward", "clip_grad_norm", "AdamW step", "zero_grad" };
        var totals = new double[phases.Length];
        var stepTotal = 0.0;
        var process = Process.GetCurrentProcess();
        var cpu = TimeSpan.Zero;
        for (var step = 0; step < warmup + steps; step++)
        {
            if (step == warmup)
            {
                exclusive.Clear();
                calls.Clear();
                process.Refresh();
                cpu = process.TotalProcessorTime;
            }
            var marks = new long[phases.Length + 1];
            using (var scope = NewDisposeScope())
            {
                manual_seed(42 + step);
                model.train();
                optimizer.zero_grad();
                var ids = tensor(batch.InputIds, shape);
                var labels = tensor(batch.Labels, shape);
                marks[0] = Stopwatch.GetTimestamp();
                var logits = model.call(ids, null, null);
                marks[1] = Stopwatch.GetTimestamp();
                var loss = CausalLmLoss.Compute(logits, labels, null);
                _ = loss.item<float>();
                marks[2] = Stopwatch.GetTimestamp();
                loss.backward();
                marks[3] = Stopwatch.GetTimestamp();
                nn.utils.clip_grad_norm_(trainable, 1.0);
                marks[4] = Stopwatch.GetTimestamp();
                optimizer.step();
                marks[5] = Stopwatch.GetTimestamp();
                optimizer.zero_grad();
                marks[6] = Stopwatch.GetTimestamp();
            }
            if (step >= warmup)
            {
                for (var i = 0; i < phases.Length; i++)
                {
                    totals[i] += Stopwatch.GetElapsedTime(marks[i], marks[i + 1]).TotalMilliseconds;
                }
                stepTotal += Stopwatch.GetElapsedTime(marks[0], marks[^1]).TotalMilliseconds;
            }
        }
        process.Refresh();
        Console.WriteLine($"profile: mean of {steps} steps after {warmup} warm-up; step {stepTotal / steps:F0} ms wall, {(process.TotalProcessorTime - cpu).TotalMilliseconds / steps:F0} ms CPU");
        for (var i = 0; i < phases.Length; i++)
        {
            Console.WriteLine($"  phase\t{phases[i],-16}\t{totals[i] / steps,8:F1} ms");
        }
        var hooked = 0.0;
        foreach (var (name, ticks) in exclusive.OrderByDescending(e => e.Value))
        {
            var ms = ticks * 1000.0 / Stopwatch.Frequency / steps;
            hooked += ms;
            Console.WriteLine($"  forward\t{name,-28}\t{ms,8:F1} ms\t{calls[name] / steps} calls/step");
        }
        Console.WriteLine($"  forward\t{"(rest: embedding, head, RoPE/SDPA glue)",-28}\t{totals[0] / steps - hooked,8:F1} ms");
        DequantizationCost(model);
    }

    private static void DequantizationCost(CausalLanguageModel model)
    {
        var layers = model.modules().OfType<Linear4bit>().ToList();
        if (layers.Count == 0)
        {
            return;
        }
        using var noGrad = no_grad();
        const int rounds = 3;
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var layer in layers)
            {
                using var w = layer.DequantizeWeight();
            }
        }
        Console.WriteLine($"  nf4\tdequantize all {layers.Count} weights once\t{clock.Elapsed.TotalMilliseconds / rounds,8:F1} ms (outside the step; the forward does it once per step)");
    }

    private void Hook(nn.Module module)
    {
        var name = module switch
        {
            LoraLinear => "LoraLinear (addmm, glue)",
            Linear4bit => "Linear4bit (dequant+matmul)",
            Linear l when l.weight!.shape[0] == 16 || l.weight!.shape[1] == 16 => "Linear (lora_A)",
            Linear => "Linear (dense base)",
            Dropout => "Dropout (LoRA)",
            _ when module.GetType().Name == "HostDropout" => "Dropout (LoRA)",
            RmsNorm => "RmsNorm",
            LlamaMlp => "LlamaMlp (silu * up)",
            LlamaAttention => "LlamaAttention (RoPE, SDPA, views)",
            LlamaDecoderLayer => "LlamaDecoderLayer (residual adds)",
            Embedding => "Embedding",
            _ => null,
        };
        if (name is null)
        {
            return;
        }
        calls[name] = 0;
        switch (module)
        {
            case nn.Module<Tensor, Tensor> unary:
                unary.register_forward_pre_hook((_, x) => { Enter(); return x; });
                unary.register_forward_hook((_, _, y) => { Exit(name); return y; });
                break;
            case nn.Module<Tensor, AttentionInputs, Tensor> binary:
                binary.register_forward_pre_hook((_, x, inputs) => { Enter(); return null; });
                binary.register_forward_hook((_, _, _, y) => { Exit(name); return y; });
                break;
        }
    }

    private void Enter() => open.Push((Stopwatch.GetTimestamp(), 0));

    private void Exit(string name)
    {
        var (start, children) = open.Pop();
        var elapsed = Stopwatch.GetTimestamp() - start;
        exclusive[name] = exclusive.GetValueOrDefault(name) + elapsed - children;
        calls[name] = calls.GetValueOrDefault(name) + 1;
        if (open.TryPop(out var parent))
        {
            open.Push((parent.Start, parent.Children + elapsed));
        }
    }
}
