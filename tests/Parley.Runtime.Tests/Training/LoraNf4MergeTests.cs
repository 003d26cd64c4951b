using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class LoraNf4MergeTests
{
    private static void RandomizeB(nn.Module model, double std)
    {
        using var noGrad = no_grad();
        foreach (var (_, adapter) in LoraInjector.Adapters(model))
        {
            adapter.LoraB.normal_(0, std);
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void The_merged_weight_is_exactly_quantize_of_dequantize_plus_delta(bool doubleQuant)
    {
        manual_seed(21);
        using var dense = nn.Linear(96, 40, hasBias: true);
        var options = new Nf4Options { BlockSize = 64, DoubleQuant = doubleQuant };
        var quantized = Linear4bit.FromLinear(dense, options);
        var baseWeight = quantized.Weight;
        using var lora = new LoraLinear(quantized, new LoraConfig { R = 4, Alpha = 8, Dropout = 0 });
        using (no_grad())
        {
            lora.LoraB.normal_(0, 0.1);
        }
        using var delta = lora.DeltaWeight();
        var sum = Nf4Quantizer.Dequantize(baseWeight).Zip(delta.data<float>().ToArray(), (w, d) => w + d).ToArray();
        var expected = Nf4Quantizer.Quantize(sum, [40, 96], options);

        using var merged = (Linear4bit)lora.MergeAndUnload();
        var actual = merged.Weight;
        Assert.That(actual.Packed.ToArray(), Is.EqualTo(expected.Packed.ToArray()));
        Assert.That(actual.GetAbsmax(), Is.EqualTo(expected.GetAbsmax()));
        Assert.That(actual.QuantizedAbsmax is null, Is.EqualTo(!doubleQuant), "the base's double quantization is kept");
        Assert.That(actual.Packed.ToArray(), Is.Not.EqualTo(baseWeight.Packed.ToArray()), "the update moved some codes");
        Assert.That(merged.Bias!.data<float>().ToArray(), Is.EqualTo(dense.bias!.data<float>().ToArray()), "the bias is kept");
    }

    private static CausalLanguageModel Load(string name) => name == "stories260K"
        ? Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"))
        : OptTests.LoadTiny(name);

    private static readonly long[] Ids = [2, 17, 33, 5, 60, 41, 9, 28, 2, 30, 3, 19, 62, 8, 25, 14];

    private static float Rms(Tensor difference)
    {
        using (difference)
        {
            return difference.pow(2).mean().sqrt().item<float>();
        }
    }

    private static Tensor Logits(CausalLanguageModel model)
    {
        model.eval();
        using var noGrad = no_grad();
        using var ids = tensor(Ids, [2, 8]);
        return model.call(ids, null, null);
    }

    /// <summary>
    /// Requantizing W + ΔW rounds every weight to its block's NF4 levels again, so the merged model differs from
    /// LoRA-on-NF4 by about as much as NF4 itself differs from float32: the test bounds the RMS logit error of the merge by
    /// 1.5 times the base's own quantization error (RMS of logits(NF4) − logits(fp32)) and prints both.
    /// </summary>
    [TestCase("stories260K")]
    [TestCase("prenorm")]
    public void A_merged_NF4_model_stays_about_one_quantization_error_from_the_unmerged_LoRA_on_NF4(string name)
    {
        using var model = Load(name);
        using var dense = Logits(model);
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        using var nf4 = Logits(model);
        var quantizationError = Rms(nf4 - dense);

        manual_seed(5);
        var targets = model is OptForCausalLM ? LoraConfig.OptProjections : LoraConfig.AllProjections;
        LoraInjector.Apply(model, new LoraConfig { R = 8, Alpha = 16, Dropout = 0, TargetModules = targets });
        RandomizeB(model, 0.02);
        using var unmerged = Logits(model);
        var merged = LoraInjector.MergeAndUnload(model);
        Assert.That(merged, Has.Count.EqualTo(model is OptForCausalLM ? 12 : 35));
        Assert.That(LoraInjector.Adapters(model), Is.Empty);
        using var after = Logits(model);

        var mergeError = Rms(after - unmerged);
        var adapterEffect = Rms(unmerged - nf4);
        var mergeMax = (after - unmerged).abs().max().item<float>();
        TestContext.Out.WriteLine(
            $"{name}: RMS Δlogit merged-NF4 vs LoRA-on-NF4 = {mergeError:F4} (max {mergeMax:F4}); NF4 vs fp32 base = {quantizationError:F4}; adapter's own effect = {adapterEffect:F4}");
        Assert.That(mergeError, Is.GreaterThan(0f), "requantizing is lossy");
        Assert.That(mergeError, Is.LessThan(1.5f * quantizationError), "about one NF4 rounding of the merged weights");
    }

    [Test]
    public void Merge_in_place_still_refuses_a_4bit_base_and_points_to_merge_and_unload()
    {
        using var dense = nn.Linear(64, 64, hasBias: false);
        using var lora = new LoraLinear(Linear4bit.FromLinear(dense, Nf4Options.Default), new LoraConfig());
        Assert.That(lora.Merge, Throws.InvalidOperationException.With.Message.Contains("MergeAndUnload"));
    }

    [Test]
    public void Merge_and_unload_on_a_dense_base_is_exact()
    {
        manual_seed(8);
        using var dense = nn.Linear(32, 16, hasBias: false);
        using var original = dense.weight!.detach().clone();
        using var lora = new LoraLinear(dense, new LoraConfig { R = 4, Dropout = 0 });
        using (no_grad())
        {
            lora.LoraB.normal_(0, 0.1);
        }
        using var delta = lora.DeltaWeight();
        using var x = randn(3, 32);
        using var expected = lora.call(x);
        var unloaded = lora.MergeAndUnload();
        Assert.That(unloaded, Is.SameAs(dense));
        Assert.That(dense.weight!.data<float>().ToArray(), Is.EqualTo((original + delta).data<float>().ToArray()));
        Assert.That(unloaded.call(x).allclose(expected, rtol: 0, atol: 1e-6), Is.True);
    }
}
