using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class LoraTests
{
    private static LlamaForCausalLM Stories() => Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"));

    private static Tensor Ids() => tensor(new long[] { 1, 403, 407, 261, 378, 432, 383 }, [1, 7]);

    [Test]
    public void Defaults_are_the_seeds_and_scaling_follows_alpha_over_r_or_sqrt_r()
    {
        var config = new LoraConfig();
        Assert.That((config.R, config.Alpha, config.Dropout, config.Bias, config.TaskType), Is.EqualTo((16, 32.0, 0.05, "none", "CAUSAL_LM")));
        Assert.That(config.TargetModules, Is.EqualTo(new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" }));
        Assert.That(config.Scaling, Is.EqualTo(2.0));
        Assert.That((config with { UseRsLora = true }).Scaling, Is.EqualTo(8.0));
    }

    [Test]
    public void A_is_kaiming_uniform_and_B_is_zero_so_a_fresh_adapter_changes_nothing()
    {
        manual_seed(1);
        using var dense = nn.Linear(64, 172, hasBias: false);
        using var lora = new LoraLinear(dense, new LoraConfig { Dropout = 0 });
        var bound = 1 / Math.Sqrt(64); // kaiming_uniform(a=sqrt(5)) on fan_in 64
        Assert.That(lora.LoraA.shape, Is.EqualTo(new long[] { 16, 64 }));
        Assert.That(lora.LoraB.shape, Is.EqualTo(new long[] { 172, 16 }));
        Assert.That(lora.LoraA.abs().max().item<float>(), Is.LessThanOrEqualTo(bound).And.GreaterThan(bound * 0.9));
        Assert.That(lora.LoraB.count_nonzero().item<long>(), Is.Zero);
        using var x = randn(3, 64);
        Assert.That(lora.call(x).allclose(dense.call(x)), Is.True);
        Assert.That(dense.weight!.requires_grad, Is.False);
    }

    [Test]
    public void Injection_adapts_every_projection_and_only_adapters_train()
    {
        using var model = Stories();
        var adapted = LoraInjector.Apply(model, new LoraConfig());
        Assert.That(adapted, Has.Count.EqualTo(35));
        Assert.That(adapted[0], Is.EqualTo("model.layers.0.self_attn.q_proj"));
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.That(trainable.All(p => p.name.Contains(".lora_A.", StringComparison.Ordinal) || p.name.Contains(".lora_B.", StringComparison.Ordinal)), Is.True);
        // per layer 16 x ((64+64) + (64+32) + (64+32) + (64+64) + 3 x (64+172))
        Assert.That(trainable.Sum(p => p.parameter.numel()), Is.EqualTo(5 * 16 * (128 + 96 + 96 + 128 + 3 * 236)));
        Assert.That(model.named_parameters().Select(p => p.name), Does.Contain("model.layers.0.self_attn.q_proj.lora_A.weight")
            .And.Contain("model.layers.4.mlp.down_proj.base_layer.weight"));
    }

    [Test]
    public void Unknown_target_modules_are_named()
    {
        using var model = Stories();
        Assert.That(() => LoraInjector.Apply(model, new LoraConfig { TargetModules = ["q_proj", "qkv_proj"] }),
            Throws.ArgumentException.With.Message.Contains("qkv_proj").And.Message.Contains("gate_proj"));
    }

    [Test]
    public void Merge_gives_the_same_logits_and_unmerge_restores_the_base()
    {
        manual_seed(2);
        using var model = Stories();
        var before = model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter.clone();
        LoraInjector.Apply(model, new LoraConfig { Dropout = 0, TargetModules = ["q_proj", "v_proj", "down_proj"] });
        using (no_grad())
        {
            foreach (var (_, adapter) in LoraInjector.Adapters(model))
            {
                adapter.LoraB.normal_(0, 0.05);
            }
        }
        model.eval();
        using var noGrad = no_grad();
        using var ids = Ids();
        using var unmerged = model.call(ids, null, null);
        LoraInjector.MergeAll(model);
        using var merged = model.call(ids, null, null);
        Assert.That(merged.allclose(unmerged, rtol: 1e-4, atol: 1e-5), Is.True);
        var q = (LoraLinear)model.Model.Layers[0].SelfAttention.GetProjection("q_proj");
        Assert.That(q.Merged, Is.True);
        Assert.That(() => q.Merge(), Throws.InvalidOperationException);
        LoraInjector.UnmergeAll(model);
        var after = ((TorchSharp.Modules.Linear)q.BaseLayer).weight!;
        Assert.That(after.allclose(before, atol: 1e-6), Is.True);
    }

    [Test]
    public void Kbit_preparation_freezes_casts_16_bit_parameters_to_float32_and_makes_inputs_require_grad()
    {
        using var model = Stories();
        ModelQuantizer.Quantize(model, Nf4Options.Default, ScalarType.BFloat16);
        model.Model.Norm.to(ScalarType.BFloat16);
        Assert.That(model.Model.Norm.Weight.dtype, Is.EqualTo(ScalarType.BFloat16));
        KbitTraining.Prepare(model);
        Assert.That(model.Model.Norm.Weight.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(model.parameters().Any(p => p.requires_grad), Is.False);
        using var ids = Ids();
        using var embedded = model.Model.EmbedTokens.call(ids);
        Assert.That(embedded.requires_grad, Is.True, "checkpointed layers keep a gradient path to the adapters");
        using (no_grad())
        using (var inference = model.Model.EmbedTokens.call(ids))
        {
            Assert.That(inference.requires_grad, Is.False, "no gradients are asked for in inference");
        }
    }

    [Test]
    public void QLoRA_gradients_reach_only_the_adapters_over_an_nf4_base()
    {
        manual_seed(4);
        using var model = Stories();
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        LoraInjector.Apply(model, new LoraConfig());
        model.train();
        using var ids = Ids();
        using var logits = model.call(ids, null, null);
        using var loss = logits.sum();
        loss.backward();
        var withGrad = model.named_parameters().Where(p => p.parameter.grad is not null).Select(p => p.name).ToList();
        Assert.That(withGrad, Has.Count.EqualTo(70));
        Assert.That(withGrad.All(n => n.Contains("lora_", StringComparison.Ordinal)), Is.True);
        var q = (LoraLinear)model.Model.Layers[0].SelfAttention.GetProjection("q_proj");
        Assert.That(q.BaseLayer, Is.InstanceOf<Linear4bit>());
        Assert.That(() => q.Merge(), Throws.InvalidOperationException.With.Message.Contains("Linear4bit"));
    }
}
