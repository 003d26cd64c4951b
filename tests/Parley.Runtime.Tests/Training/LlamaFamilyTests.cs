using Parley.Data;
using Parley.Runtime.Tests.Training.Support;
using Parley.Templates;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Peft;
using Parley.Training.Quantization;
using Parley.Training.Sft;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

/// <summary>
/// Qwen3, Gemma-3 (text) and Llama 3 with <c>rope_scaling</c> "llama3" against the PyTorch reference in
/// <c>benchmarks/peers/llama_family_reference.py</c>: the folders under <c>Training/Data/*-tiny</c> hold a random tiny
/// model of each and the logits the reference forward gives for a plain row, a left-padded batch and a packed row.
/// Regenerate them with <c>/usr/bin/python3 benchmarks/peers/llama_family_reference.py</c>.
/// </summary>
public class LlamaFamilyTests
{
    private static LlamaForCausalLM Load(string family) => (LlamaForCausalLM)HfModelLoader.Load(ReferenceLogits.Folder($"{family}-tiny"));

    [TestCase("qwen3")]
    [TestCase("gemma3")]
    [TestCase("llama3")]
    public void Logits_match_the_PyTorch_reference_forward(string family)
    {
        using var model = Load(family);
        ReferenceLogits.AssertMatch(model, ReferenceLogits.Folder($"{family}-tiny"));
    }

    [Test]
    public void Qwen3_reads_its_per_head_qk_norms_and_explicit_head_dim()
    {
        using var model = Load("qwen3");
        var c = model.Config;
        Assert.That((c.ModelType, c.QkNorm, c.GemmaLayout, c.HeadDim, c.NumKeyValueHeads, c.TieWordEmbeddings, c.RopeTheta, c.RmsNormEps),
            Is.EqualTo(("qwen3", true, false, 12, 2, true, 1e6, 1e-6)));
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.That(shapes["model.layers.1.self_attn.q_norm.weight"], Is.EqualTo(new long[] { 12 }));
        Assert.That(shapes["model.layers.0.self_attn.q_proj.weight"], Is.EqualTo(new long[] { 48, 32 }));
        Assert.That(shapes.Keys, Does.Not.Contain("lm_head.weight").And.Not.Contain("model.layers.0.pre_feedforward_layernorm.weight"));
    }

    [Test]
    public void Gemma3_reads_sliding_layers_local_rope_and_its_norm_layout()
    {
        using var model = Load("gemma3");
        var c = model.Config;
        Assert.That((c.ModelType, c.GemmaLayout, c.QkNorm, c.HiddenActivation, c.QueryPreAttnScalar, c.SlidingWindow, c.SlidingWindowPattern, c.RopeLocalTheta),
            Is.EqualTo(("gemma3_text", true, true, "gelu_pytorch_tanh", (double?)24, (int?)4, 3, (double?)10000)));
        Assert.That(Enumerable.Range(0, 3).Select(c.IsSlidingLayer), Is.EqualTo(new[] { true, true, false }));
        Assert.That(c.RopeScaling, Is.EqualTo(new RopeScaling("linear", 8)));
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Does.Contain("model.layers.2.pre_feedforward_layernorm.weight").And.Contain("model.layers.2.post_feedforward_layernorm.weight")
            .And.Contain("model.layers.0.self_attn.k_norm.weight"));
        Assert.That(model.Model.Norm.AddsOne, Is.True);

        // gemma-3-1b-it's config.json (the fields the model reads): five sliding layers, then a global one
        const string json = """
            {"architectures": ["Gemma3ForCausalLM"], "attention_bias": false, "attn_logit_softcapping": null, "bos_token_id": 2,
             "eos_token_id": [1, 106], "final_logit_softcapping": null, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
             "hidden_size": 1152, "intermediate_size": 6912, "max_position_embeddings": 32768, "model_type": "gemma3_text",
             "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1, "pad_token_id": 0,
             "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000, "rope_scaling": null,
             "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6, "torch_dtype": "bfloat16", "vocab_size": 262144}
            """;
        var real = LlamaConfig.FromHfConfigJson(json);
        Assert.That((real.TieWordEmbeddings, real.HeadDim, real.SlidingWindow, real.RopeScaling), Is.EqualTo((true, 256, (int?)512, (RopeScaling?)null)));
        Assert.That(Enumerable.Range(0, 12).Where(i => !real.IsSlidingLayer(i)), Is.EqualTo(new[] { 5, 11 }));
        Assert.That(() => LlamaConfig.FromHfConfigJson(json.Replace("\"final_logit_softcapping\": null", "\"final_logit_softcapping\": 30.0", StringComparison.Ordinal)),
            Throws.TypeOf<FormatException>().With.Message.Contains("final_logit_softcapping"));
        Assert.That(() => LlamaConfig.FromHfConfigJson(json.Replace("gemma3_text", "gemma3", StringComparison.Ordinal)),
            Throws.TypeOf<FormatException>().With.Message.Contains("gemma3_text"));
    }

    [Test]
    public void Llama3_rope_scaling_keeps_high_frequencies_divides_low_ones_and_blends_between()
    {
        using var model = Load("llama3");
        Assert.That(model.Config.RopeScaling, Is.EqualTo(new RopeScaling("llama3", 8, 1, 4, 64)));
        var scaled = new RotaryEmbedding(16, 10000, model.Config.RopeScaling).InverseFrequencyValues;
        var plain = new RotaryEmbedding(16, 10000).InverseFrequencyValues;
        // wavelengths 2π/f: 6.3 (< 64/4: kept), 19.9 and 62.8 (between: blended), 199 and longer (> 64/1: divided by 8)
        Assert.That(scaled[0], Is.EqualTo(plain[0]));
        Assert.That(scaled[1], Is.LessThan(plain[1]).And.GreaterThan(plain[1] / 8));
        Assert.That(scaled[2], Is.LessThan(plain[2]).And.GreaterThan(plain[2] / 8));
        Assert.That(scaled.Skip(3), Is.EqualTo(plain.Skip(3).Select(f => f / 8)).Within(1e-12));
        // smooth = (64 / wavelen - 1) / 3; f' = (1 - smooth) f / 8 + smooth f
        var smooth = (64 / (2 * Math.PI / plain[1]) - 1) / 3;
        Assert.That(scaled[1], Is.EqualTo((1 - smooth) * plain[1] / 8 + smooth * plain[1]).Within(1e-7));

        Assert.That(() => LlamaConfig.FromHfConfigJson(File.ReadAllText(Path.Combine(ReferenceLogits.Folder("llama3-tiny"), "config.json")).Replace("\"llama3\"", "\"yarn\"", StringComparison.Ordinal)),
            Throws.TypeOf<FormatException>().With.Message.Contains("\"yarn\" is not supported"));
    }

    [TestCase("qwen3", 2)]
    [TestCase("gemma3", 3)]
    [TestCase("llama3", 2)]
    public void QLoRA_lowers_the_loss_and_exports_PEFT_key_names(string family, int layers)
    {
        using var model = Load(family);
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        manual_seed(3);
        var lora = new LoraConfig { R = 8, Alpha = 16 };
        Assert.That(LoraInjector.Apply(model, lora), Has.Count.EqualTo(7 * layers));

        var train = OptTests.PatternBatches(batches: 4, rows: 4, length: 16, seed: 11);
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 30, LearningRate = 1e-2, WarmupSteps = 3, Seed = 5 });
        var before = trainer.Evaluate(train);
        trainer.Train(train);
        var after = trainer.Evaluate(train);
        TestContext.Out.WriteLine($"{family}-tiny QLoRA: loss {before:F4} -> {after:F4}");
        Assert.That(after, Is.LessThan(before * 0.8), "a clear drop in loss");

        var dir = Directory.CreateTempSubdirectory($"parley-{family}-peft-").FullName;
        try
        {
            PeftAdapter.Save(model, dir, lora, baseModelNameOrPath: family);
            var (entries, _) = SafeTensorsFile.ReadHeader(Path.Combine(dir, PeftAdapter.WeightsFileName));
            var names = entries.Select(e => e.Name).ToHashSet();
            Assert.That(names, Has.Count.EqualTo(14 * layers));
            Assert.That(names, Does.Contain("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                .And.Contain($"base_model.model.model.layers.{layers - 1}.mlp.down_proj.lora_B.weight"));
            Assert.That(names.Where(n => n.Contains("norm", StringComparison.Ordinal)), Is.Empty, "norms are not adapted");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>Each family through <see cref="SftPipeline"/> with its own built-in chat template.</summary>
[NonParallelizable]
public class SftPipelineLlamaFamilyTests
{
    private static IEnumerable<TestCaseData> Families()
    {
        yield return new TestCaseData("qwen3", Qwen3.Instance, Fixtures.Path("tokenizers", "qwen3", "tokenizer.json")).SetName("Qwen3 with the Qwen3 template and tokenizer");
        yield return new TestCaseData("gemma3", Gemma3.Instance, null).SetName("Gemma3 with the Gemma3 template");
        yield return new TestCaseData("llama3", Llama31.Instance, null).SetName("Llama3 rope scaling with the Llama31 template");
        yield return new TestCaseData("qwen3-tiny-bnb-nf4", Qwen3.Instance, Fixtures.Path("tokenizers", "qwen3", "tokenizer.json")).SetName("A bnb-4bit Qwen3 checkpoint with the Qwen3 template");
    }

    [TestCaseSource(nameof(Families))]
    public void Run_trains_the_family_and_exports_its_adapter(string family, IChatTemplate template, string? tokenizer)
    {
        string folder = Directory.CreateTempSubdirectory($"parley-sft-{family}-").FullName;
        try
        {
            string data = Path.Combine(folder, "pairs.csv");
            File.WriteAllLines(data, File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv")).Take(21));
            var options = new SftOptions
            {
                Data = data,
                Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
                Model = ReferenceLogits.Folder(family.Contains("-tiny", StringComparison.Ordinal) ? family : $"{family}-tiny"),
                Tokenizer = tokenizer,
                Steps = 2, SeqLength = 64, GenerationPrompts = 1, MaxNewTokens = 2, Output = Path.Combine(folder, "out"),
            };

            SftResult result = new SftPipeline(template, options, new TextWriterSftReporter(TextWriter.Null)).Run();

            Assert.That(result.LastStep, Is.EqualTo(2));
            var (entries, _) = SafeTensorsFile.ReadHeader(Path.Combine(result.AdapterDirectory, "adapter_model.safetensors"));
            var names = entries.Select(e => e.Name).ToHashSet();
            Assert.That(names, Does.Contain("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                .And.Contain("base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
