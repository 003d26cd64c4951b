using Parley.Runtime.Tests.Training.Support;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Peft;
using Parley.Training.Quantization;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

/// <summary>
/// OPT against the PyTorch reference in <c>benchmarks/peers/opt_reference.py</c>: the folders under
/// <c>Training/Data/opt-tiny-*</c> hold a random tiny OPT (HF config.json + model.safetensors) and the logits the
/// reference forward gives for fixed inputs. Regenerate them with <c>/usr/bin/python3 benchmarks/peers/opt_reference.py</c>.
/// </summary>
public class OptTests
{
    internal static string TinyOpt(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Training", "Data", $"opt-tiny-{name}");

    internal static OptForCausalLM LoadTiny(string name) => (OptForCausalLM)HfModelLoader.Load(TinyOpt(name));

    [TestCase("prenorm")]
    [TestCase("postln")]
    public void Logits_match_the_PyTorch_reference_forward(string name)
    {
        using var model = LoadTiny(name);
        ReferenceLogits.AssertMatch(model, TinyOpt(name));
    }

    [Test]
    public void The_config_and_state_dict_follow_hugging_face()
    {
        using var postLn = LoadTiny("postln");
        using var preLn = LoadTiny("prenorm");
        Assert.That(postLn.Config, Is.EqualTo(new OptConfig
        {
            VocabSize = 64, HiddenSize = 24, FfnDim = 48, NumLayers = 2, NumHeads = 4, WordEmbedProjDimOverride = 16,
            MaxPositionEmbeddings = 32, DoLayerNormBefore = false,
        }));
        var names = postLn.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Does.Contain("model.decoder.embed_positions.weight").And.Contain("model.decoder.project_in.weight")
            .And.Contain("model.decoder.project_out.weight").And.Contain("model.decoder.layers.1.self_attn.out_proj.bias")
            .And.Contain("model.decoder.layers.0.fc1.weight").And.Contain("model.decoder.layers.0.final_layer_norm.bias"));
        Assert.That(names, Does.Not.Contain("model.decoder.final_layer_norm.weight"), "post-LN OPT (opt-350m) has no final layer norm");
        Assert.That(names, Does.Not.Contain("lm_head.weight"), "the head is tied to embed_tokens");
        Assert.That(preLn.named_parameters().Select(p => p.name), Does.Contain("model.decoder.final_layer_norm.weight"));
        Assert.That(postLn.Model.Decoder.EmbedPositions.weight!.shape, Is.EqualTo(new long[] { 34, 24 }), "max_position_embeddings + offset 2 rows");
        Assert.That(postLn.VocabSize, Is.EqualTo(64));
    }

    [Test]
    public void The_opt_350m_config_reads_as_post_LN_with_projections()
    {
        // facebook/opt-350m's config.json (the fields the model uses)
        const string json = """
            {"_remove_final_layer_norm": false, "activation_dropout": 0.0, "activation_function": "relu",
             "architectures": ["OPTForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 2, "do_layer_norm_before": false,
             "dropout": 0.1, "eos_token_id": 2, "ffn_dim": 4096, "hidden_size": 1024, "init_std": 0.02, "layerdrop": 0.0,
             "max_position_embeddings": 2048, "model_type": "opt", "num_attention_heads": 16, "num_hidden_layers": 24,
             "pad_token_id": 1, "prefix": "</s>", "torch_dtype": "float16", "use_cache": true, "vocab_size": 50272,
             "word_embed_proj_dim": 512}
            """;
        var config = OptConfig.FromHfConfigJson(json);
        Assert.That((config.HiddenSize, config.FfnDim, config.NumLayers, config.NumHeads, config.HeadDim, config.WordEmbedProjDim),
            Is.EqualTo((1024, 4096, 24, 16, 64, 512)));
        Assert.That((config.DoLayerNormBefore, config.HasFinalLayerNorm, config.HasProjections, config.TieWordEmbeddings, config.Dropout),
            Is.EqualTo((false, false, true, true, 0.1)));
        Assert.That(() => OptConfig.FromHfConfigJson(json.Replace("\"relu\"", "\"gelu\"", StringComparison.Ordinal)),
            Throws.TypeOf<FormatException>().With.Message.Contains("gelu"));
        Assert.That(() => OptConfig.FromHfConfigJson(json.Replace("\"ffn_dim\": 4096, ", "", StringComparison.Ordinal)),
            Throws.TypeOf<FormatException>().With.Message.Contains("ffn_dim"));
    }

    [Test]
    public void Checkpoints_saved_from_OPTModel_without_the_model_prefix_load_too()
    {
        var dir = Directory.CreateTempSubdirectory("parley-opt-").FullName;
        try
        {
            File.Copy(Path.Combine(TinyOpt("prenorm"), "config.json"), Path.Combine(dir, "config.json"));
            var weights = SafeTensorsFile.Load(Path.Combine(TinyOpt("prenorm"), "model.safetensors"));
            try
            {
                // the older facebook/opt-* files name weights "decoder.layers.0..." and may carry a tied lm_head copy
                var renamed = weights.ToDictionary(w => w.Key["model.".Length..], w => w.Value);
                renamed["lm_head.weight"] = weights["model.decoder.embed_tokens.weight"];
                SafeTensorsFile.Save(Path.Combine(dir, "model.safetensors"), renamed);
            }
            finally
            {
                foreach (var t in weights.Values)
                {
                    t.Dispose();
                }
            }
            using var expected = LoadTiny("prenorm");
            using var loaded = HfModelLoader.Load(dir);
            using var noGrad = no_grad();
            using var ids = tensor(new long[] { 2, 17, 33, 5, 60 }, [1, 5]);
            Assert.That(loaded, Is.TypeOf<OptForCausalLM>());
            Assert.That(loaded.call(ids, null, null).data<float>().ToArray(), Is.EqualTo(expected.call(ids, null, null).data<float>().ToArray()));
            using var tooLong = zeros(1, 33, dtype: ScalarType.Int64);
            Assert.That(() => loaded.call(tooLong, null, null), Throws.ArgumentException.With.Message.Contains("max_position_embeddings = 32"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Positions_come_from_the_mask_for_left_padding_and_from_position_ids_for_packed_rows()
    {
        using var ids = zeros(2, 5, dtype: ScalarType.Int64);
        using var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 0 }, [2, 5]);
        using var fromMask = OptDecoder.Positions(ids, null, mask);
        Assert.That(fromMask.data<long>().ToArray(), Is.EqualTo(new long[] { -1, -1, 0, 1, 2, 0, 1, 2, 3, -1 }));
        using var given = tensor(new long[] { 0, 1, 0, 1, 2, 0, 1, 2, 3, 4 }, [2, 5]);
        using var fromIds = OptDecoder.Positions(ids, given, mask);
        Assert.That(fromIds.data<long>().ToArray(), Is.EqualTo(given.data<long>().ToArray()));
        using var plain = OptDecoder.Positions(ids, null, null);
        Assert.That(plain.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 }));
    }

    [Test]
    public void A_packed_row_gives_the_logits_of_each_sequence_run_alone()
    {
        using var model = LoadTiny("postln");
        using var noGrad = no_grad();
        long[] first = [2, 11, 48, 20, 37];
        long[] second = [2, 56, 4, 9, 30, 61, 7];
        float[] Alone(long[] ids)
        {
            using var logits = model.call(tensor(ids, [1, ids.Length]), null, null);
            return logits.data<float>().ToArray();
        }
        var expected = Alone(first).Concat(Alone(second)).ToArray();
        var packed = first.Concat(second).ToArray();
        var positions = Enumerable.Range(0, first.Length).Concat(Enumerable.Range(0, second.Length)).Select(i => (long)i).ToArray();
        using var logits = model.call(tensor(packed, [1, packed.Length]), tensor(positions, [1, packed.Length]), null);
        Assert.That(logits.data<float>().ToArray(), Is.EqualTo(expected).Within(1e-5f));
    }

    /// <summary>Rows of a fixed random "language": each next token is a fixed function of the current one, which the
    /// random tiny OPT does not know, so the loss can only fall by learning.</summary>
    internal static List<TrainingBatch> PatternBatches(int batches, int rows, int length, int seed)
    {
        var random = new Random(seed);
        var next = Enumerable.Range(0, 64).Select(_ => random.Next(3, 64)).ToArray();
        var result = new List<TrainingBatch>();
        for (var b = 0; b < batches; b++)
        {
            var ids = new long[rows * length];
            for (var r = 0; r < rows; r++)
            {
                long token = random.Next(3, 64);
                for (var t = 0; t < length; t++)
                {
                    ids[r * length + t] = token;
                    token = next[token];
                }
            }
            result.Add(new TrainingBatch(ids, (long[])ids.Clone(), rows, length));
        }
        return result;
    }

    [Test]
    public void QLoRA_on_opt_tiny_lowers_the_loss_and_exports_PEFT_key_names()
    {
        using var model = LoadTiny("postln");
        var report = ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        manual_seed(3);
        var lora = new LoraConfig { R = 8, Alpha = 16, TargetModules = LoraConfig.OptProjections };
        var adapted = LoraInjector.Apply(model, lora);
        Assert.That(adapted, Has.Count.EqualTo(12));
        Assert.That(report.QuantizedParameters, Is.EqualTo(2 * (4 * 24 * 24 + 2 * 24 * 48)), "every q/k/v/out_proj and fc1/fc2 weight is NF4");

        var train = PatternBatches(batches: 4, rows: 4, length: 16, seed: 11);
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 40, LearningRate = 1e-2, WarmupSteps = 4, Seed = 5 });
        var before = trainer.Evaluate(train);
        trainer.Train(train);
        var after = trainer.Evaluate(train);
        TestContext.Out.WriteLine($"opt-tiny QLoRA: loss {before:F4} -> {after:F4}; train losses {trainer.Losses[0]:F4} -> {trainer.Losses[^1]:F4}");
        Assert.That(after, Is.LessThan(before * 0.7), "a clear drop in loss");

        var dir = Directory.CreateTempSubdirectory("parley-opt-peft-").FullName;
        try
        {
            PeftAdapter.Save(model, dir, lora, baseModelNameOrPath: "facebook/opt-350m");
            var keys = SafeTensorsFile.Load(Path.Combine(dir, PeftAdapter.WeightsFileName));
            try
            {
                Assert.That(keys.Keys, Has.Count.EqualTo(24));
                Assert.That(keys.Keys, Does.Contain("base_model.model.model.decoder.layers.0.self_attn.q_proj.lora_A.weight")
                    .And.Contain("base_model.model.model.decoder.layers.1.self_attn.out_proj.lora_B.weight")
                    .And.Contain("base_model.model.model.decoder.layers.1.fc2.lora_A.weight"));
                Assert.That(keys["base_model.model.model.decoder.layers.0.fc1.lora_B.weight"].shape, Is.EqualTo(new long[] { 48, 8 }));
            }
            finally
            {
                foreach (var t in keys.Values)
                {
                    t.Dispose();
                }
            }

            // the adapter loads back onto a fresh NF4 base and gives the trained model's logits
            using var fresh = LoadTiny("postln");
            ModelQuantizer.Quantize(fresh, Nf4Options.Default);
            var loaded = PeftAdapter.Load(fresh, dir);
            Assert.That(loaded.TargetModules, Is.EqualTo(LoraConfig.OptProjections));
            model.eval();
            fresh.eval();
            using var noGrad = no_grad();
            using var ids = tensor(train[0].InputIds, [train[0].Rows, train[0].Columns]);
            using var expected = model.call(ids, null, null);
            using var actual = fresh.call(ids, null, null);
            Assert.That(actual.allclose(expected, rtol: 0, atol: 1e-5), Is.True);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
