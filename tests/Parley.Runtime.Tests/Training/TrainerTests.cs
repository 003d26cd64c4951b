using System.Text.Json;
using Parley.Runtime.Tests.Training.Support;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Peft;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class TrainerTests
{
    private static string ModelPath => Fixtures.Path("models", "stories260K", "stories260K.bin");

    private static Llama2cTokenizer Tokenizer() => new(Fixtures.Path("models", "stories260K", "tok512.bin"));

    /// <summary>stories260K with an NF4 base and fresh LoRA adapters (seeded).</summary>
    private static LlamaForCausalLM QLoraModel(long seed = 7, LoraConfig? lora = null)
    {
        var model = Llama2cLoader.Load(ModelPath);
        ModelQuantizer.Quantize(model, Nf4Options.Default);
        KbitTraining.Prepare(model);
        manual_seed(seed);
        LoraInjector.Apply(model, lora ?? new LoraConfig());
        return model;
    }

    [Test]
    public void The_test_tokenizer_matches_sentencepiece_on_the_reference_texts()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("reference", "sentencepiece-ids.json")));
        var model = doc.RootElement.GetProperty("models").EnumerateObject().Single(m => m.Value.GetProperty("vocab_size").GetInt32() == 512).Value;
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).Take(40).ToList();
        var expected = model.GetProperty("corpus").EnumerateArray().Take(40).Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToList()).ToList();
        var tokenizer = Tokenizer();
        var matches = texts.Select((t, i) => tokenizer.Encode(t).SequenceEqual(expected[i])).Count(m => m);
        Assert.That(matches, Is.GreaterThanOrEqualTo(36), "run.c's greedy merge agrees with SentencePiece on nearly every text");
    }

    [Test]
    public void Loss_shifts_labels_and_ignores_minus_100_and_sequence_starts()
    {
        // vocab 3, one row of 4 tokens; logits favour token (t+1) % 3 at position t.
        var logits = zeros(1, 4, 3);
        for (var t = 0; t < 4; t++)
        {
            logits[0, t, (t + 1) % 3] = tensor(2f);
        }
        using var labels = tensor(new long[] { 5, 1, -100, 0 }, [1, 4]);
        var p = Math.Exp(2) / (Math.Exp(2) + 2);
        var q = 1 / (Math.Exp(2) + 2);
        using var loss = CausalLmLoss.Compute(logits, labels, null);
        // position 0 predicts label 1 (favoured), position 2 predicts label 0 (favoured: (2+1)%3 = 0)
        Assert.That(loss.item<float>(), Is.EqualTo(-Math.Log(p)).Within(1e-6));
        using var packedLoss = CausalLmLoss.Compute(logits, labels, tensor(new long[] { 0, 1, 2, 0 }, [1, 4]));
        Assert.That(packedLoss.item<float>(), Is.EqualTo(-Math.Log(p)).Within(1e-6), "the label at a sequence start is ignored");
        using var allLabels = CausalLmLoss.Compute(logits, tensor(new long[] { 0, 2, 2, 1 }, [1, 4]), null);
        // position 0 -> 2 (not favoured), 1 -> 2 (favoured), 2 -> 1 (not favoured)
        Assert.That(allLabels.item<float>(), Is.EqualTo(-(2 * Math.Log(q) + Math.Log(p)) / 3).Within(1e-6));
    }

    [Test]
    public void Schedules_warm_up_then_decay_like_transformers()
    {
        Assert.That(LearningRateSchedule.Factor(LearningRateScheduleKind.Linear, 0, 10, 110), Is.EqualTo(0.0));
        Assert.That(LearningRateSchedule.Factor(LearningRateScheduleKind.Linear, 5, 10, 110), Is.EqualTo(0.5));
        Assert.That(LearningRateSchedule.Factor(LearningRateScheduleKind.Linear, 60, 10, 110), Is.EqualTo(0.5));
        Assert.That(LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 60, 10, 110), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 35, 10, 110), Is.EqualTo(0.5 * (1 + Math.Cos(Math.PI / 4))).Within(1e-12));
        Assert.That(LearningRateSchedule.Factor(LearningRateScheduleKind.Constant, 100, 10, 110), Is.EqualTo(1.0));
    }

    [Test]
    public void QLoRA_on_yoda_sentences_lowers_the_completion_loss_in_50_steps()
    {
        var tokenizer = Tokenizer();
        var pairs = YodaData.Pairs();
        Assert.That(pairs, Has.Count.EqualTo(720));
        var train = YodaData.Batches(tokenizer, pairs.Take(400), rowsPerBatch: 8);
        var eval = YodaData.Batches(tokenizer, pairs.Skip(680), rowsPerBatch: 20);
        using var model = QLoraModel();
        using var trainer = new LoraTrainer(model, new TrainerOptions
        {
            MaxSteps = 50, LearningRate = 1e-2, WarmupSteps = 5, Schedule = LearningRateScheduleKind.Cosine, Seed = 1,
        });
        var before = trainer.Evaluate(eval);
        var reports = new List<TrainingProgress>();
        trainer.Train(train, reports.Add);
        var after = trainer.Evaluate(eval);
        TestContext.Out.WriteLine($"eval completion loss {before:F4} -> {after:F4}; last train loss {reports[^1].Loss:F4}; {reports.Average(r => r.TokensPerSecond):F0} tokens/s");

        Assert.That(reports, Has.Count.EqualTo(50));
        Assert.That(reports.Select(r => r.Step), Is.EqualTo(Enumerable.Range(1, 50)));
        Assert.That(reports[0].LearningRate, Is.Zero, "warm-up starts at 0");
        Assert.That(reports.All(r => r.TokensPerSecond > 0 && double.IsFinite(r.GradNorm)), Is.True);
        Assert.That(after, Is.LessThan(before * 0.8), "a clear drop in held-out completion loss");
    }

    [Test]
    public void A_resumed_run_continues_with_the_same_losses_as_an_uninterrupted_one()
    {
        var tokenizer = Tokenizer();
        var batches = YodaData.Batches(tokenizer, YodaData.Pairs().Take(48), rowsPerBatch: 4);
        var root = Path.Combine(Path.GetTempPath(), $"parley-resume-{Guid.NewGuid():N}");
        try
        {
            TrainerOptions Options(string dir) => new()
            {
                MaxSteps = 6, LearningRate = 5e-3, WarmupSteps = 2, GradientAccumulationSteps = 2, CheckpointDirectory = dir, CheckpointEvery = 2, Seed = 3,
            };
            double[] uninterrupted;
            using (var model = QLoraModel())
            using (var trainer = new LoraTrainer(model, Options(Path.Combine(root, "a"))))
            {
                trainer.Train(batches);
                uninterrupted = [.. trainer.Losses];
            }

            using (var model = QLoraModel())
            using (var trainer = new LoraTrainer(model, Options(Path.Combine(root, "b"))))
            {
                trainer.Train(batches, stopAfterStep: 3); // stopped after step 3: a stop checkpoints the step it stops at
            }
            Assert.That(Directory.GetFileSystemEntries(Path.Combine(root, "b")).Select(Path.GetFileName), Is.EqualTo(new[] { "step-000003" }),
                "one complete checkpoint folder, no temporary files");

            using (var model = QLoraModel(seed: 99)) // different fresh adapters: the checkpoint must overwrite them
            using (var trainer = new LoraTrainer(model, Options(Path.Combine(root, "b"))))
            {
                Assert.That(trainer.TryResume(), Is.True);
                Assert.That(trainer.Step, Is.EqualTo(3));
                trainer.Train(batches);
                Assert.That(trainer.Losses, Is.EqualTo(uninterrupted));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static TrainerOptions CheckpointOptions(string dir, double learningRate = 5e-3) => new()
    {
        MaxSteps = 4, LearningRate = learningRate, WarmupSteps = 1, CheckpointDirectory = dir, CheckpointEvery = 2, Seed = 3,
        Fingerprint = new Dictionary<string, string> { ["data"] = "abc123" },
    };

    /// <summary>A checkpoints folder holding step 2 of a short run.</summary>
    private static (string Dir, string Step) TrainTwoSteps(IReadOnlyList<TrainingBatch> batches)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"parley-ckpt-{Guid.NewGuid():N}");
        using var model = QLoraModel();
        using var trainer = new LoraTrainer(model, CheckpointOptions(dir));
        trainer.Train(batches, stopAfterStep: 2);
        return (dir, Path.Combine(dir, "step-000002"));
    }

    [Test]
    public void Resuming_removes_an_older_checkpoint_a_kill_left_beside_the_newest()
    {
        // A kill after the newest checkpoint was renamed into place but before the older ones were deleted leaves both;
        // a run resumed at its last step saves nothing, so resuming itself must finish the clean-up.
        var batches = YodaData.Batches(Tokenizer(), YodaData.Pairs().Take(16), rowsPerBatch: 4);
        var (dir, step) = TrainTwoSteps(batches);
        try
        {
            string older = Path.Combine(dir, "step-000001");
            Directory.CreateDirectory(older);
            foreach (string file in Directory.GetFiles(step)) File.Copy(file, Path.Combine(older, Path.GetFileName(file)));
            using var model = QLoraModel();
            using var trainer = new LoraTrainer(model, CheckpointOptions(dir));
            Assert.That(trainer.TryResume(), Is.True);
            Assert.That(trainer.Step, Is.EqualTo(2));
            Assert.That(Directory.GetFileSystemEntries(dir).Select(Path.GetFileName), Is.EqualTo(new[] { "step-000002" }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase("trainable.safetensors", "flip")]
    [TestCase("optimizer.bin", "truncate")]
    [TestCase("trainer_state.json", "delete")]
    public void A_damaged_checkpoint_is_refused_naming_the_file(string file, string damage)
    {
        var batches = YodaData.Batches(Tokenizer(), YodaData.Pairs().Take(16), rowsPerBatch: 4);
        var (dir, step) = TrainTwoSteps(batches);
        try
        {
            string path = Path.Combine(step, file);
            byte[] bytes = File.ReadAllBytes(path);
            switch (damage)
            {
                case "flip": bytes[^3] ^= 0x10; File.WriteAllBytes(path, bytes); break;
                case "truncate": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
                default: File.Delete(path); break;
            }

            using var model = QLoraModel();
            using var trainer = new LoraTrainer(model, CheckpointOptions(dir));
            var e = Assert.Throws<CheckpointException>(() => trainer.TryResume())!;
            Assert.That(e.Field, Is.EqualTo(file));
            Assert.That(e.Message, Does.StartWith(path + ": ").And.Contain(damage == "delete" ? "is missing from the checkpoint" : "is damaged: its SHA-256 is"));
            Assert.That(UserErrors.IsUserError(e), Is.True);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void A_checkpoint_of_another_run_is_refused_naming_the_setting_unless_forced()
    {
        var batches = YodaData.Batches(Tokenizer(), YodaData.Pairs().Take(16), rowsPerBatch: 4);
        var (dir, step) = TrainTwoSteps(batches);
        try
        {
            using (var model = QLoraModel())
            using (var trainer = new LoraTrainer(model, CheckpointOptions(dir, learningRate: 1e-3)))
            {
                var e = Assert.Throws<CheckpointException>(() => trainer.TryResume())!;
                Assert.That(e.Field, Is.EqualTo("learning_rate"));
                Assert.That(e.Message, Does.Contain($"{step}: written by a run with learning_rate = 0.005, but this run has learning_rate = 0.001; resuming would continue a different run."));
            }

            using (var model = QLoraModel())
            using (var trainer = new LoraTrainer(model, CheckpointOptions(dir) with { Fingerprint = new Dictionary<string, string> { ["data"] = "other" } }))
            {
                var e = Assert.Throws<CheckpointException>(() => trainer.TryResume())!;
                Assert.That(e.Field, Is.EqualTo("data"));
            }

            using (var model = QLoraModel())
            using (var trainer = new LoraTrainer(model, CheckpointOptions(dir, learningRate: 1e-3) with { ForceResume = true }))
            {
                Assert.That(trainer.TryResume(), Is.True);
                Assert.That(trainer.Step, Is.EqualTo(2));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Padding_free_batches_give_the_same_loss_as_padded_ones()
    {
        var tokenizer = Tokenizer();
        var padded = YodaData.Batches(tokenizer, YodaData.Pairs().Take(3), rowsPerBatch: 3)[0];
        var ids = new List<long>();
        var labels = new List<long>();
        var positions = new List<long>();
        for (var r = 0; r < padded.Rows; r++)
        {
            var length = (int)padded.AttentionMask!.Skip(r * padded.Columns).Take(padded.Columns).Sum();
            ids.AddRange(padded.InputIds.Skip(r * padded.Columns).Take(length));
            labels.AddRange(padded.Labels.Skip(r * padded.Columns).Take(length));
            positions.AddRange(Enumerable.Range(0, length).Select(i => (long)i));
        }
        var packed = new TrainingBatch([.. ids], [.. labels], 1, ids.Count) { PositionIds = [.. positions] };
        using var model = QLoraModel(lora: new LoraConfig { Dropout = 0 });
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 1 });
        Assert.That(packed.TrainableTokens, Is.EqualTo(padded.TrainableTokens));
        Assert.That(trainer.Evaluate([packed]), Is.EqualTo(trainer.Evaluate([padded])).Within(1e-5));
    }

    [Test]
    public void Accumulating_two_micro_batches_equals_one_step_on_both()
    {
        var tokenizer = Tokenizer();
        // two rows with the same number of trainable tokens, so the mean of means equals the overall mean
        var rows = YodaData.Batches(tokenizer, YodaData.Pairs().Take(40), rowsPerBatch: 1);
        var pair = rows.GroupBy(b => (b.TrainableTokens, b.Columns)).First(g => g.Count() >= 2).Take(2).ToList();
        var combined = new TrainingBatch([.. pair[0].InputIds, .. pair[1].InputIds], [.. pair[0].Labels, .. pair[1].Labels], 2, pair[0].Columns);
        var lora = new LoraConfig { Dropout = 0 };

        float[] After(IReadOnlyList<TrainingBatch> batches, int accumulation)
        {
            using var model = QLoraModel(lora: lora);
            using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 1, LearningRate = 1e-2, GradientAccumulationSteps = accumulation, MaxGradNorm = 0 });
            trainer.Train(batches);
            return [.. model.named_parameters().Where(p => p.parameter.requires_grad).SelectMany(p => p.parameter.data<float>().ToArray())];
        }

        Assert.That(After(pair, 2), Is.EqualTo(After([combined], 1)).Within(1e-6f));
    }

    [Test]
    public void QLoRA_with_bfloat16_compute_trains_with_finite_losses()
    {
        var batches = YodaData.Batches(Tokenizer(), YodaData.Pairs().Take(16), rowsPerBatch: 8);
        using var model = Llama2cLoader.Load(ModelPath);
        ModelQuantizer.Quantize(model, Nf4Options.Default, ScalarType.BFloat16);
        KbitTraining.Prepare(model);
        manual_seed(1);
        LoraInjector.Apply(model, new LoraConfig());
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 4, LearningRate = 1e-2 });
        trainer.Train(batches);
        Assert.That(trainer.Losses.All(double.IsFinite), Is.True);
        Assert.That(LoraInjector.Adapters(model)[0].Adapter.LoraA.dtype, Is.EqualTo(ScalarType.Float32), "adapters stay float32");
    }

    [Test]
    public void A_non_finite_loss_stops_training_with_a_clear_error()
    {
        var batches = YodaData.Batches(Tokenizer(), YodaData.Pairs().Take(4), rowsPerBatch: 4);
        using var model = QLoraModel();
        using (no_grad())
        {
            LoraInjector.Adapters(model)[0].Adapter.LoraB.fill_(float.NaN);
        }
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 3 });
        Assert.That(() => trainer.Train(batches), Throws.TypeOf<TrainingDivergedException>()
            .With.Message.Contains("step 1").And.Message.Contains("learning rate"));
        Assert.That(trainer.Step, Is.Zero);
    }

    [Test]
    public void A_thousand_steps_leave_no_native_tensors_behind()
    {
        manual_seed(0);
        using var model = new LlamaForCausalLM(new LlamaConfig
        {
            VocabSize = 32, HiddenSize = 16, IntermediateSize = 32, NumLayers = 1, NumHeads = 2, NumKeyValueHeads = 1, TieWordEmbeddings = true,
        });
        ModelQuantizer.Quantize(model, new Nf4Options { BlockSize = 32 });
        KbitTraining.Prepare(model);
        LoraInjector.Apply(model, new LoraConfig { R = 4 });
        var batch = new TrainingBatch(Enumerable.Range(0, 8).Select(i => (long)(i % 32)).ToArray(), Enumerable.Range(0, 8).Select(i => (long)((i + 1) % 32)).ToArray(), 1, 8);
        using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 1000, LearningRate = 1e-3 });
        long live10 = 0, rss10 = 0;
        trainer.Train([batch], p =>
        {
            if (p.Step == 10)
            {
                live10 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                rss10 = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
            }
        });
        var live1000 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var rss1000 = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        TestContext.Out.WriteLine($"live tensors at step 10: {live10}, at step 1000: {live1000}; RSS {rss10 >> 20} -> {rss1000 >> 20} MiB");
        Assert.That(trainer.Step, Is.EqualTo(1000));
        Assert.That(live1000, Is.LessThanOrEqualTo(live10), "every tensor a step makes is disposed");
        Assert.That(rss1000 - rss10, Is.LessThan(64L << 20), "native memory does not grow with steps");
    }

    [Test]
    public void Peft_adapter_files_have_peft_names_shapes_and_dtypes_and_load_back()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"parley-adapter-{Guid.NewGuid():N}");
        try
        {
            var config = new LoraConfig { Dropout = 0 };
            using var model = QLoraModel(lora: config);
            using (no_grad())
            {
                foreach (var (_, adapter) in LoraInjector.Adapters(model))
                {
                    adapter.LoraB.normal_(0, 0.02);
                }
            }
            PeftAdapter.Save(model, dir, config, baseModelNameOrPath: "karpathy/tinyllamas/stories260K");

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")));
            var root = json.RootElement;
            Assert.That(root.GetProperty("peft_type").GetString(), Is.EqualTo("LORA"));
            Assert.That(root.GetProperty("task_type").GetString(), Is.EqualTo("CAUSAL_LM"));
            Assert.That(root.GetProperty("r").GetInt32(), Is.EqualTo(16));
            Assert.That(root.GetProperty("lora_alpha").GetDouble(), Is.EqualTo(32));
            Assert.That(root.GetProperty("bias").GetString(), Is.EqualTo("none"));
            Assert.That(root.GetProperty("base_model_name_or_path").GetString(), Is.EqualTo("karpathy/tinyllamas/stories260K"));
            Assert.That(root.GetProperty("target_modules").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(LoraConfig.AllProjections));

            var (entries, metadata) = ParseSafetensorsHeader(Path.Combine(dir, "adapter_model.safetensors"));
            Assert.That(metadata["format"], Is.EqualTo("pt"));
            Assert.That(entries, Has.Count.EqualTo(70));
            Assert.That(entries["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"], Is.EqualTo(("F32", new long[] { 16, 64 })));
            Assert.That(entries["base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight"], Is.EqualTo(("F32", new long[] { 32, 16 })));
            Assert.That(entries["base_model.model.model.layers.4.mlp.down_proj.lora_A.weight"], Is.EqualTo(("F32", new long[] { 16, 172 })));

            using var ids = tensor(new long[] { 1, 403, 407, 261 }, [1, 4]);
            model.eval();
            using var noGrad = no_grad();
            using var expected = model.call(ids, null, null);
            using var fresh = Llama2cLoader.Load(ModelPath);
            ModelQuantizer.Quantize(fresh, Nf4Options.Default);
            var loaded = PeftAdapter.Load(fresh, dir);
            Assert.That(loaded, Is.EqualTo(config with { TargetModules = loaded.TargetModules }));
            fresh.eval();
            using var actual = fresh.call(ids, null, null);
            Assert.That(actual.allclose(expected), Is.True);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Parses the header by hand (8-byte length + JSON), independent of the product reader.</summary>
    private static (Dictionary<string, (string, long[])> Entries, Dictionary<string, string> Metadata) ParseSafetensorsHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        Assert.That((8 + length) % 8, Is.Zero, "data starts 8-byte aligned");
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, length));
        var entries = new Dictionary<string, (string, long[])>();
        var metadata = new Dictionary<string, string>();
        long expectedOffset = 0;
        foreach (var p in doc.RootElement.EnumerateObject().OrderBy(p => p.Value.TryGetProperty("data_offsets", out var o) ? o[0].GetInt64() : -1))
        {
            if (p.Name == "__metadata__")
            {
                foreach (var m in p.Value.EnumerateObject())
                {
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = p.Value.GetProperty("data_offsets");
            Assert.That(offsets[0].GetInt64(), Is.EqualTo(expectedOffset), $"{p.Name} is contiguous");
            expectedOffset = offsets[1].GetInt64();
            Assert.That(expectedOffset - offsets[0].GetInt64(), Is.EqualTo(4 * shape.Aggregate(1L, (a, b) => a * b)));
            entries[p.Name] = (p.Value.GetProperty("dtype").GetString()!, shape);
        }
        Assert.That(8 + length + expectedOffset, Is.EqualTo(bytes.Length));
        return (entries, metadata);
    }
}
