using Parley.Runtime.Tests.Training.Support;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

/// <summary>
/// Checkpoint layouts as published: sharded safetensors with an index, 16-bit tensors, and bitsandbytes 4-bit
/// (<c>*-bnb-4bit</c>) weights written by <c>benchmarks/peers/bnb4bit_reference.py</c> — NF4 with double quantization
/// in two shards (bf16 elsewhere) and FP4 without (fp16 elsewhere).
/// </summary>
public class CheckpointFormatTests
{
    private static string Temp() => Directory.CreateTempSubdirectory("parley-ckpt-").FullName;

    private static List<Linear4bit> Quantized(nn.Module model) =>
        model.named_modules().Where(m => m.module is Linear4bit).OrderBy(m => m.name, StringComparer.Ordinal).Select(m => (Linear4bit)m.module).ToList();

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }
    }

    [Test]
    public void A_bnb_nf4_checkpoint_in_shards_loads_as_stored_and_gives_the_reference_logits()
    {
        using var model = HfModelLoader.Load(ReferenceLogits.Folder("qwen3-tiny-bnb-nf4"));
        var layers = Quantized(model);
        Assert.That(layers, Has.Count.EqualTo(14));
        Assert.That(layers.All(l => l.Weight.QuantType == "nf4" && l.Weight.QuantizedAbsmax is not null), Is.True);
        ReferenceLogits.AssertMatch(model, ReferenceLogits.Folder("qwen3-tiny-bnb-nf4"));
    }

    [Test]
    public void The_stored_nf4_state_is_bit_identical_to_Parleys_own_quantization_of_the_fp32_weights()
    {
        using var stored = HfModelLoader.Load(ReferenceLogits.Folder("qwen3-tiny-bnb-nf4"));
        using var requantized = HfModelLoader.Load(ReferenceLogits.Folder("qwen3-tiny"));
        ModelQuantizer.Quantize(requantized, Nf4Options.Default);
        foreach (var (a, b) in Quantized(stored).Zip(Quantized(requantized)))
        {
            Assert.That(a.Weight.Packed.ToArray(), Is.EqualTo(b.Weight.Packed.ToArray()));
            Assert.That(a.Weight.QuantizedAbsmax!.Codes.ToArray(), Is.EqualTo(b.Weight.QuantizedAbsmax!.Codes.ToArray()));
            Assert.That(a.Weight.QuantizedAbsmax.Scales.ToArray(), Is.EqualTo(b.Weight.QuantizedAbsmax.Scales.ToArray()));
            Assert.That(BitConverter.SingleToUInt32Bits(a.Weight.QuantizedAbsmax.Offset), Is.EqualTo(BitConverter.SingleToUInt32Bits(b.Weight.QuantizedAbsmax.Offset)));
        }
    }

    [Test]
    public void A_bnb_fp4_checkpoint_loads_and_requantizing_its_dequantized_weights_gives_the_same_bits()
    {
        using var model = HfModelLoader.Load(ReferenceLogits.Folder("llama3-tiny-bnb-fp4"));
        var layers = Quantized(model);
        Assert.That(layers, Has.Count.EqualTo(14));
        ReferenceLogits.AssertMatch(model, ReferenceLogits.Folder("llama3-tiny-bnb-fp4"));
        foreach (var layer in layers)
        {
            Assert.That((layer.Weight.QuantType, layer.Weight.Code[3] * 12, layer.Weight.QuantizedAbsmax), Is.EqualTo(("fp4", 12f, (QuantizedAbsmax?)null)));
            var values = Nf4Quantizer.Dequantize(layer.Weight);
            var again = Nf4Quantizer.Quantize(values, [.. layer.Weight.Shape], new Nf4Options { DoubleQuant = false }, [.. layer.Weight.Code], "fp4");
            Assert.That(again.Packed.ToArray(), Is.EqualTo(layer.Weight.Packed.ToArray()));
            Assert.That(again.Absmax!.Value.ToArray(), Is.EqualTo(layer.Weight.Absmax!.Value.ToArray()));
        }
    }

    [Test]
    public void A_bnb_checkpoint_trains_with_LoRA_on_its_stored_4bit_weights()
    {
        using var model = HfModelLoader.Load(ReferenceLogits.Folder("qwen3-tiny-bnb-nf4"));
        var packed = Quantized(model)[0].Weight.Packed.ToArray();
        ModelQuantizer.Quantize(model, Nf4Options.Default); // nothing dense is left to quantize
        Assert.That(Quantized(model)[0].Weight.Packed.ToArray(), Is.EqualTo(packed));
        KbitTraining.Prepare(model);
        manual_seed(3);
        Assert.That(LoraInjector.Apply(model, new LoraConfig { R = 8, Alpha = 16 }), Has.Count.EqualTo(14));
        var train = OptTests.PatternBatches(batches: 4, rows: 4, length: 16, seed: 11);
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 30, LearningRate = 1e-2, WarmupSteps = 3, Seed = 5 });
        var before = trainer.Evaluate(train);
        trainer.Train(train);
        Assert.That(trainer.Evaluate(train), Is.LessThan(before * 0.8));
    }

    [Test]
    public void Sharded_float32_and_16_bit_checkpoints_give_the_weights_of_the_single_file()
    {
        var source = ReferenceLogits.Folder("qwen3-tiny");
        var dir = Temp();
        try
        {
            File.Copy(Path.Combine(source, "config.json"), Path.Combine(dir, "config.json"));
            var tensors = SafeTensorsFile.Load(Path.Combine(source, "model.safetensors"));
            try
            {
                var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
                var first = names.Take(names.Count / 2).ToHashSet();
                // bf16 in one shard, fp16 in the other, as mixed exports sometimes are
                SafeTensorsFile.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), first.ToDictionary(n => n, n => tensors[n].to_type(ScalarType.BFloat16)));
                SafeTensorsFile.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), names.Where(n => !first.Contains(n)).ToDictionary(n => n, n => tensors[n].to_type(ScalarType.Float16)));
                File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
                    "{\"metadata\":{},\"weight_map\":{" + string.Join(",", names.Select(n => $"\"{n}\":\"model-0000{(first.Contains(n) ? 1 : 2)}-of-00002.safetensors\"")) + "}}");

                using var loaded = HfModelLoader.Load(dir);
                var parameters = loaded.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                Assert.That(parameters.Keys.Order(StringComparer.Ordinal), Is.EqualTo(names));
                foreach (var name in names)
                {
                    using var expected = tensors[name].to_type(first.Contains(name) ? ScalarType.BFloat16 : ScalarType.Float16).to_type(ScalarType.Float32);
                    Assert.That(parameters[name].dtype, Is.EqualTo(ScalarType.Float32));
                    Assert.That(parameters[name].data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()), name);
                }

                using var bf16 = HfModelLoader.Load(dir, dtype: ScalarType.BFloat16);
                Assert.That(bf16.named_parameters().Select(p => p.parameter.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.BFloat16 }));
                using var noGrad = no_grad();
                using var ids = tensor(new long[] { 2, 17, 33, 5, 60, 41 }, [1, 6]);
                using var exact = loaded.call(ids, null, null);
                using var approx = bf16.call(ids, null, null);
                Assert.That(approx.dtype, Is.EqualTo(ScalarType.Float32));
                Assert.That((approx - exact).abs().max().item<float>(), Is.LessThan(0.25f).And.GreaterThan(0f), "computed in bf16: close, not equal");
            }
            finally
            {
                DisposeAll(tensors);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string CopyOf(string name)
    {
        var dir = Temp();
        foreach (var file in Directory.GetFiles(ReferenceLogits.Folder(name)))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        return dir;
    }

    [Test]
    public void Other_quantization_methods_and_broken_4bit_states_are_clear_errors()
    {
        var dir = CopyOf("llama3-tiny-bnb-fp4");
        try
        {
            var config = Path.Combine(dir, "config.json");
            var text = File.ReadAllText(config);
            File.WriteAllText(config, text.Replace("\"quant_method\": \"bitsandbytes\"", "\"quant_method\": \"gptq\"", StringComparison.Ordinal));
            Assert.That(() => HfModelLoader.Load(dir), Throws.TypeOf<ModelFormatException>().With.Message.Contains("quant_method \"gptq\" is not supported"));
            File.WriteAllText(config, text.Replace("\"load_in_8bit\": false", "\"load_in_8bit\": true", StringComparison.Ordinal));
            Assert.That(() => HfModelLoader.Load(dir), Throws.TypeOf<ModelFormatException>().With.Message.Contains("load_in_8bit"));
            File.WriteAllText(config, text);

            var weights = Path.Combine(dir, "model.safetensors");
            var tensors = SafeTensorsFile.Load(weights);
            try
            {
                tensors.Remove("model.layers.1.mlp.up_proj.weight.absmax", out var absmax);
                absmax!.Dispose();
                SafeTensorsFile.Save(weights, tensors);
            }
            finally
            {
                DisposeAll(tensors);
            }
            Assert.That(() => HfModelLoader.Load(dir), Throws.TypeOf<ModelFormatException>().With.Message.Contains("\"model.layers.1.mlp.up_proj.weight.absmax\" is missing"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
