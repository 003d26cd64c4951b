using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class GradientCheckpointingTests
{
    private static LlamaForCausalLM StoriesQLora()
    {
        var model = Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"));
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        manual_seed(7);
        LoraInjector.Apply(model, new LoraConfig()); // dropout 0.05: the recompute must replay the same masks
        using var noGrad = no_grad();
        foreach (var (_, adapter) in LoraInjector.Adapters(model))
        {
            adapter.LoraB.normal_(0, 0.05); // non-zero B, so gradients reach A and the layers' inputs too
        }
        return model;
    }

    private static OptForCausalLM OptQLora()
    {
        var model = OptTests.LoadTiny("postln"); // residual dropout 0.1 while training
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        manual_seed(7);
        LoraInjector.Apply(model, new LoraConfig { R = 4, TargetModules = LoraConfig.OptProjections });
        using var noGrad = no_grad();
        foreach (var (_, adapter) in LoraInjector.Adapters(model))
        {
            adapter.LoraB.normal_(0, 0.05);
        }
        return model;
    }

    /// <summary>One training-mode forward and backward with a fixed seed; the gradients of the trainable parameters.</summary>
    private static Dictionary<string, float[]> Gradients(CausalLanguageModel model, bool checkpointing, long[] ids, long[] positions, int rows)
    {
        model.GradientCheckpointing = checkpointing;
        model.train();
        foreach (var p in model.parameters())
        {
            p.grad?.zero_();
        }
        manual_seed(99);
        using var scope = NewDisposeScope();
        var shape = new long[] { rows, ids.Length / rows };
        var input = tensor(ids, shape);
        var logits = model.call(input, tensor(positions, shape), null);
        CausalLmLoss.Compute(logits, input, tensor(positions, shape)).backward();
        return model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());
    }

    private static void AssertSameGradients(CausalLanguageModel model, long[] ids, long[] positions, int rows)
    {
        var plain = Gradients(model, checkpointing: false, ids, positions, rows);
        var recomputed = Gradients(model, checkpointing: true, ids, positions, rows);
        Assert.That(recomputed.Keys, Is.EqualTo(plain.Keys));
        double worst = 0;
        foreach (var (name, expected) in plain)
        {
            Assert.That(expected.Any(g => g != 0), Is.True, $"{name} gets a gradient");
            Assert.That(recomputed[name], Is.EqualTo(expected).Within(1e-6f), name);
            worst = Math.Max(worst, expected.Zip(recomputed[name], (a, b) => Math.Abs(a - b)).Max());
        }
        TestContext.Out.WriteLine($"{plain.Count} gradients, max |checkpointed - stored| = {worst:E2}");
    }

    [Test]
    public void Gradients_with_and_without_checkpointing_are_equal_on_stories260K()
    {
        using var model = StoriesQLora();
        long[] ids = [1, 403, 407, 261, 378, 432, 383, 286, 1, 432, 383, 286, 261, 376, 298, 261];
        long[] positions = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7];
        AssertSameGradients(model, ids, positions, rows: 2);
    }

    [Test]
    public void Gradients_with_and_without_checkpointing_are_equal_on_opt_with_dropout()
    {
        using var model = OptQLora();
        long[] ids = [2, 11, 48, 20, 37, 2, 56, 4, 9, 30, 61, 7];
        long[] positions = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6];
        AssertSameGradients(model, ids, positions, rows: 1);
    }

    [Test]
    public void Checkpointed_layers_really_run_again_in_backward()
    {
        using var model = OptQLora();
        var calls = 0;
        model.Model.Decoder.Layers[0].register_forward_hook((_, _, _, output) =>
        {
            calls++;
            return output;
        });
        long[] ids = [2, 11, 48, 20, 37, 2, 56, 4];
        long[] positions = [0, 1, 2, 3, 4, 5, 6, 7];
        Gradients(model, checkpointing: false, ids, positions, rows: 1);
        Assert.That(calls, Is.EqualTo(1));
        calls = 0;
        Gradients(model, checkpointing: true, ids, positions, rows: 1);
        Assert.That(calls, Is.EqualTo(2), "once in forward (no graph kept), once recomputed in backward");
        calls = 0;
        model.eval();
        using (no_grad())
        using (model.call(tensor(ids, [1, 8]), null, null))
        {
        }
        Assert.That(calls, Is.EqualTo(1), "evaluation never recomputes");
    }

    [Test]
    public void The_trainer_option_gives_the_same_losses()
    {
        var batches = OptTests.PatternBatches(batches: 2, rows: 2, length: 12, seed: 4);
        double[] Losses(bool checkpointing)
        {
            using var model = OptQLora();
            using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 4, LearningRate = 1e-2, GradientCheckpointing = checkpointing });
            Assert.That(model.GradientCheckpointing, Is.EqualTo(checkpointing));
            trainer.Train(batches);
            return [.. trainer.Losses];
        }
        Assert.That(Losses(true), Is.EqualTo(Losses(false)).Within(1e-6));
    }

    [Test]
    public void Checkpointed_steps_leave_no_native_tensors_behind()
    {
        manual_seed(0);
        using var model = new LlamaForCausalLM(new LlamaConfig
        {
            VocabSize = 32, HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2, NumKeyValueHeads = 1, TieWordEmbeddings = true,
        });
        ModelQuantizer.Quantize(model, new Nf4Options { BlockSize = 32 });
        KbitTraining.Prepare(model);
        LoraInjector.Apply(model, new LoraConfig { R = 4 });
        var batch = new TrainingBatch(Enumerable.Range(0, 8).Select(i => (long)(i % 32)).ToArray(), Enumerable.Range(0, 8).Select(i => (long)((i + 1) % 32)).ToArray(), 1, 8);
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 200, LearningRate = 1e-3, GradientCheckpointing = true });
        long live10 = 0, rss10 = 0;
        trainer.Train([batch], p =>
        {
            if (p.Step == 10)
            {
                live10 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                rss10 = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
            }
        });
        var live200 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var rss200 = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        TestContext.Out.WriteLine($"checkpointed: live tensors at step 10: {live10}, at step 200: {live200}; RSS {rss10 >> 20} -> {rss200 >> 20} MiB");
        Assert.That(live200, Is.LessThanOrEqualTo(live10), "the recompute's saved inputs, masks and RNG states are released in backward");
        Assert.That(rss200 - rss10, Is.LessThan(64L << 20));
    }
}
