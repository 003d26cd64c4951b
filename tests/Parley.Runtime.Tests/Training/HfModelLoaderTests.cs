using System.Text.Json.Nodes;
using Parley.Training;
using Parley.Training.Models;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class HfModelLoaderTests
{
    private static readonly LlamaConfig Tiny = new()
    {
        VocabSize = 40, HiddenSize = 32, IntermediateSize = 48, NumLayers = 2, NumHeads = 4, NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 64, RmsNormEps = 1e-6, RopeTheta = 10000,
    };

    private static string TempDir() => Directory.CreateTempSubdirectory("parley-hf-").FullName;

    private static JsonObject ConfigJson(string modelType, LlamaConfig c) => new()
    {
        ["model_type"] = modelType,
        ["vocab_size"] = c.VocabSize,
        ["hidden_size"] = c.HiddenSize,
        ["intermediate_size"] = c.IntermediateSize,
        ["num_hidden_layers"] = c.NumLayers,
        ["num_attention_heads"] = c.NumHeads,
        ["num_key_value_heads"] = c.NumKeyValueHeads,
        ["max_position_embeddings"] = c.MaxPositionEmbeddings,
        ["rms_norm_eps"] = c.RmsNormEps,
        ["rope_theta"] = c.RopeTheta,
        ["tie_word_embeddings"] = c.TieWordEmbeddings,
        ["rope_scaling"] = null,
    };

    private static Dictionary<string, Tensor> StateDict(LlamaForCausalLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter.detach());

    private static float[] Logits(LlamaForCausalLM model)
    {
        using var noGrad = no_grad();
        using var logits = model.call(tensor(new long[] { 3, 17, 5, 39, 0, 21 }, [1, 6]), null, null);
        return logits.data<float>().ToArray();
    }

    [TestCase("llama", false, false)]
    [TestCase("llama", true, false)]
    [TestCase("qwen2", true, true)]
    public void A_saved_llama_or_qwen2_folder_loads_back_with_the_same_logits(string modelType, bool tied, bool bf16)
    {
        var dir = TempDir();
        try
        {
            manual_seed(5);
            var config = Tiny with { TieWordEmbeddings = tied, AttentionBias = modelType == "qwen2" };
            using var original = new LlamaForCausalLM(config);
            if (bf16)
            {
                using (no_grad())
                {
                    foreach (var p in original.parameters())
                    {
                        p.copy_(p.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32)); // exactly representable in bf16
                    }
                }
            }
            var weights = StateDict(original);
            if (bf16)
            {
                weights = weights.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.BFloat16));
            }
            SafeTensorsFile.Save(Path.Combine(dir, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
            File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson(modelType, config).ToJsonString());

            using var loaded = (LlamaForCausalLM)HfModelLoader.Load(dir);
            Assert.That(loaded.Config.AttentionBias, Is.EqualTo(modelType == "qwen2"));
            Assert.That(loaded.LmHead is null, Is.EqualTo(tied));
            Assert.That(Logits(loaded), Is.EqualTo(Logits(original)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Phi3_fused_projections_are_split_and_sharded_files_are_followed()
    {
        var dir = TempDir();
        try
        {
            manual_seed(6);
            using var original = new LlamaForCausalLM(Tiny);
            var sd = StateDict(original);
            var fused = new Dictionary<string, Tensor>();
            foreach (var (name, t) in sd)
            {
                if (name.Contains(".self_attn.q_proj.", StringComparison.Ordinal))
                {
                    var prefix = name[..name.IndexOf("q_proj", StringComparison.Ordinal)];
                    fused[prefix + "qkv_proj.weight"] = cat([t, sd[prefix + "k_proj.weight"], sd[prefix + "v_proj.weight"]], 0);
                }
                else if (name.Contains(".mlp.gate_proj.", StringComparison.Ordinal))
                {
                    var prefix = name[..name.IndexOf("gate_proj", StringComparison.Ordinal)];
                    fused[prefix + "gate_up_proj.weight"] = cat([t, sd[prefix + "up_proj.weight"]], 0);
                }
                else if (!name.Contains(".k_proj.", StringComparison.Ordinal) && !name.Contains(".v_proj.", StringComparison.Ordinal) && !name.Contains(".up_proj.", StringComparison.Ordinal))
                {
                    fused[name] = t;
                }
            }
            var first = fused.Where(kv => kv.Key.StartsWith("model.layers.0.", StringComparison.Ordinal)).ToDictionary();
            var rest = fused.Where(kv => !first.ContainsKey(kv.Key)).ToDictionary();
            SafeTensorsFile.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), first);
            SafeTensorsFile.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), rest);
            var map = new JsonObject();
            foreach (var k in first.Keys) map[k] = "model-00001-of-00002.safetensors";
            foreach (var k in rest.Keys) map[k] = "model-00002-of-00002.safetensors";
            File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
            File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson("phi3", Tiny).ToJsonString());

            using var loaded = (LlamaForCausalLM)HfModelLoader.Load(dir);
            Assert.That(Logits(loaded), Is.EqualTo(Logits(original)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Missing_weights_and_unsupported_configs_are_explained()
    {
        var dir = TempDir();
        try
        {
            manual_seed(7);
            using var original = new LlamaForCausalLM(Tiny);
            var sd = StateDict(original);
            sd.Remove("model.norm.weight");
            SafeTensorsFile.Save(Path.Combine(dir, "model.safetensors"), sd);
            File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson("llama", Tiny).ToJsonString());
            Assert.That(() => HfModelLoader.Load(dir), Throws.TypeOf<ModelFormatException>().With.Message.Contains("model.norm.weight"));

            var gpt2 = ConfigJson("gpt2", Tiny);
            File.WriteAllText(Path.Combine(dir, "config.json"), gpt2.ToJsonString());
            Assert.That(() => HfModelLoader.Load(dir), Throws.TypeOf<ModelFormatException>().With.Message.Contains("gpt2"));

            var scaled = ConfigJson("llama", Tiny);
            scaled["rope_scaling"] = new JsonObject { ["type"] = "longrope" };
            File.WriteAllText(Path.Combine(dir, "config.json"), scaled.ToJsonString());
            Assert.That(() => HfModelLoader.Load(dir), Throws.TypeOf<ModelFormatException>().With.Message.Contains("rope_scaling"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
