using System.Diagnostics;
using System.Text.Json;
using Parley.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training;

/// <summary>
/// Trains the parameters of a causal LM that require gradients (the LoRA adapters after
/// <c>LoraInjector.Apply</c>) with AdamW, a warm-up schedule, gradient accumulation and clipping. Each micro-batch runs
/// in its own <c>DisposeScope</c>; each optimizer step reseeds from <see cref="TrainerOptions.Seed"/> and reads
/// batches by step index, so a run resumed from a checkpoint continues with the same losses as one never stopped.
/// </summary>
/// <example>
/// <code>
/// using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 50, LearningRate = 3e-3, CheckpointDirectory = "ckpt", CheckpointEvery = 10 });
/// trainer.TryResume();                     // continues from ckpt/ when a checkpoint is there
/// trainer.Train(batches, p => Console.WriteLine($"{p.Step}: {p.Loss:F3}"));
/// double evalLoss = trainer.Evaluate(evalBatches);
/// </code>
/// </example>
public sealed class LoraTrainer : IDisposable
{
    private const string StateFile = "trainer_state.json";
    private const string WeightsFile = "trainable.safetensors";
    private const string OptimizerFile = "optimizer.bin";

    private readonly CausalLanguageModel model;
    private readonly TrainerOptions options;
    private readonly List<(string Name, Parameter Parameter)> trainable;
    private readonly AdamW optimizer;
    private readonly List<double> losses = [];
    private readonly SortedDictionary<int, double> evaluations = [];
    private readonly Device device;

    /// <summary>Creates the trainer and its AdamW optimizer over the parameters that require gradients.</summary>
    /// <param name="model">The model; its trainable parameters are updated in place (and activation checkpointing is
    /// switched on when <see cref="TrainerOptions.GradientCheckpointing"/> asks for it).</param>
    /// <param name="options">Steps, learning rate, schedule, accumulation, clipping, seed, checkpoints.</param>
    /// <exception cref="InvalidOperationException">No parameter requires gradients.</exception>
    public LoraTrainer(CausalLanguageModel model, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.model = model;
        this.options = options;
        if (options.GradientCheckpointing)
        {
            model.GradientCheckpointing = true;
        }
        trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        if (trainable.Count == 0)
        {
            throw new InvalidOperationException("no parameter requires gradients; add adapters with LoraInjector.Apply (or unfreeze parameters) first.");
        }
        device = trainable[0].Parameter.device;
        optimizer = optim.AdamW(trainable.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <summary>Optimizer steps done so far (after a resume, counted from the start of the run).</summary>
    public int Step { get; private set; }

    /// <summary>The loss of every optimizer step so far.</summary>
    public IReadOnlyList<double> Losses => losses;

    /// <summary>Evaluation losses recorded with <see cref="RecordEvaluation"/>, by step; saved in checkpoints and restored on resume.</summary>
    public IReadOnlyDictionary<int, double> Evaluations => evaluations;

    /// <summary>Records an evaluation loss at <paramref name="step"/>, so a checkpoint carries it to a resumed run.</summary>
    /// <param name="step">The optimizer step it was measured after.</param>
    /// <param name="loss">The loss (<see cref="Evaluate"/>).</param>
    public void RecordEvaluation(int step, double loss) => evaluations[step] = loss;

    /// <summary>The trainable parameters' names.</summary>
    public IReadOnlyList<string> TrainableParameterNames => trainable.Select(p => p.Name).ToList();

    /// <summary>Runs optimizer steps until <see cref="TrainerOptions.MaxSteps"/>.</summary>
    /// <param name="batches">The data; step <c>s</c>, micro-batch <c>m</c> uses batch <c>(s * accumulation + m) mod count</c>.</param>
    /// <param name="progress">Called after each optimizer step.</param>
    /// <param name="stopAfterStep">Stop after this step even if <see cref="TrainerOptions.MaxSteps"/> is further (to
    /// simulate or schedule an interruption); null to run to the end.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <exception cref="TrainingDivergedException">A loss or gradient norm is NaN or infinite.</exception>
    public void Train(IReadOnlyList<TrainingBatch> batches, Action<TrainingProgress>? progress = null, int? stopAfterStep = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
        {
            throw new ArgumentException("no batches to train on.", nameof(batches));
        }
        var last = Math.Min(options.MaxSteps, stopAfterStep ?? options.MaxSteps);
        while (Step < last)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var report = TrainStep(batches);
            progress?.Invoke(report);
            var due = options.CheckpointEvery > 0 ? Step % options.CheckpointEvery == 0 : Step == options.MaxSteps;
            // A stop before MaxSteps checkpoints the step it stops at, so the next run does not redo steps.
            if (options.CheckpointDirectory is not null && (due || Step == options.MaxSteps || Step == last))
            {
                SaveCheckpoint(options.CheckpointDirectory);
            }
        }
    }

    /// <summary>The mean loss over <paramref name="batches"/> (token-weighted), in evaluation mode without gradients.</summary>
    /// <param name="batches">Evaluation batches.</param>
    /// <returns>The loss.</returns>
    public double Evaluate(IEnumerable<TrainingBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        model.eval();
        using var noGrad = no_grad();
        double total = 0;
        long tokens = 0;
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var n = batch.TrainableTokens;
            if (n == 0)
            {
                continue;
            }
            total += Forward(batch).item<float>() * n;
            tokens += n;
        }
        return tokens == 0 ? double.NaN : total / tokens;
    }

    /// <summary>
    /// Writes a checkpoint of step <see cref="Step"/>: the trainable weights, the optimizer state and the trainer state,
    /// each flushed to disk, then a manifest with their SHA-256 hashes and the run's fingerprint, all in a temporary
    /// folder that is renamed to <c>step-N</c> in one step. A kill at any point leaves either the previous checkpoint or
    /// this one, never a mix; older checkpoints are deleted afterwards.
    /// </summary>
    /// <param name="directory">The checkpoints folder.</param>
    public void SaveCheckpoint(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        var final = Path.Combine(directory, CheckpointStore.StepFolder(Step));
        var temp = Path.Combine(directory, $".{CheckpointStore.StepFolder(Step)}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }
        Directory.CreateDirectory(temp);
        SafeTensorsFile.Save(Path.Combine(temp, WeightsFile), trainable.ToDictionary(p => p.Name, p => (Tensor)p.Parameter));
        var optimizerPath = Path.Combine(temp, OptimizerFile);
        optimizer.save_state_dict(optimizerPath);
        CheckpointStore.FlushToDisk(optimizerPath);
        var state = new CheckpointState(Step, options.Seed, [.. losses], evaluations.Select(e => new[] { e.Key, e.Value }).ToArray());
        AtomicFile.Write(Path.Combine(temp, StateFile), s => JsonSerializer.Serialize(s, state));
        CheckpointStore.WriteManifest(temp, [WeightsFile, OptimizerFile, StateFile], RunFingerprint());
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }
        Directory.Move(temp, final);
        CheckpointStore.FlushDirectory(directory);
        CheckpointStore.DeleteAllBut(directory, final);
    }

    /// <summary>
    /// Loads the newest checkpoint in <see cref="TrainerOptions.CheckpointDirectory"/> when there is one, after checking
    /// its files' hashes and the run's fingerprint; removes temporary folders a killed run left behind.
    /// </summary>
    /// <returns>True when training will continue from a checkpoint.</returns>
    /// <exception cref="CheckpointException">The checkpoint is damaged (the file is named) or was written by a run with
    /// other settings (the field is named; <see cref="TrainerOptions.ForceResume"/> overrides).</exception>
    public bool TryResume()
    {
        var directory = options.CheckpointDirectory;
        if (directory is null || !Directory.Exists(directory))
        {
            return false;
        }
        CheckpointStore.DeleteOrphans(directory);
        var latest = CheckpointStore.Latest(directory);
        if (latest is null)
        {
            return false;
        }
        LoadCheckpoint(latest);
        // A kill between renaming the newest checkpoint into place and deleting the older ones leaves both; the newest
        // is complete and now loaded, so finish that clean-up (a run resumed at its last step saves no checkpoint that
        // would do it).
        CheckpointStore.DeleteAllBut(directory, latest);
        return true;
    }

    /// <summary>Restores trainable weights, optimizer state, step and loss history from one checkpoint folder.</summary>
    /// <param name="directory">A <c>step-N</c> folder written by <see cref="SaveCheckpoint"/>.</param>
    /// <exception cref="CheckpointException">A file is missing or fails its hash, the fingerprint differs, or the weights do not fit this model.</exception>
    public void LoadCheckpoint(string directory)
    {
        var differences = CheckpointStore.Verify(directory, RunFingerprint());
        if (differences.Count > 0 && !options.ForceResume)
        {
            var (field, was, now) = differences[0];
            throw new CheckpointException(directory, field,
                $"written by a run with {field} = {was}, but this run has {field} = {now}{(differences.Count > 1 ? $" (and {differences.Count - 1} more difference{(differences.Count > 2 ? "s" : "")}: {string.Join(", ", differences.Skip(1).Select(d => d.Field))})" : "")}; resuming would continue a different run.");
        }
        var statePath = Path.Combine(directory, StateFile);
        CheckpointState state;
        try
        {
            state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath))
                ?? throw new CheckpointException(statePath, StateFile, "is empty.");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(statePath, StateFile, $"is not a trainer state ({e.Message}).", inner: e);
        }
        var weightsPath = Path.Combine(directory, WeightsFile);
        Dictionary<string, Tensor> weights;
        try
        {
            weights = SafeTensorsFile.Load(weightsPath);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or ArgumentException)
        {
            throw new CheckpointException(weightsPath, WeightsFile, $"cannot be read ({e.Message}).", inner: e);
        }
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, parameter) in trainable)
            {
                if (!weights.TryGetValue(name, out var value) || !value.shape.SequenceEqual(parameter.shape))
                {
                    throw new CheckpointException(weightsPath, WeightsFile, $"has no weight \"{name}\" of shape [{string.Join(", ", parameter.shape)}]; it was written for another model or LoRA configuration.");
                }
                parameter.copy_(value);
            }
        }
        finally
        {
            foreach (var t in weights.Values)
            {
                t.Dispose();
            }
        }
        var optimizerPath = Path.Combine(directory, OptimizerFile);
        try
        {
            optimizer.load_state_dict(optimizerPath);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointException(optimizerPath, OptimizerFile, $"cannot be read ({e.Message}).", inner: e);
        }
        Step = state.Step;
        losses.Clear();
        losses.AddRange(state.Losses);
        evaluations.Clear();
        foreach (var pair in state.Evaluations ?? [])
        {
            evaluations[(int)pair[0]] = pair[1];
        }
    }

    /// <summary>What determines this run: the trainer's settings and <see cref="TrainerOptions.Fingerprint"/>.</summary>
    private SortedDictionary<string, string> RunFingerprint()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var fingerprint = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["max_steps"] = options.MaxSteps.ToString(c),
            ["learning_rate"] = options.LearningRate.ToString("R", c),
            ["weight_decay"] = options.WeightDecay.ToString("R", c),
            ["schedule"] = options.Schedule.ToString(),
            ["warmup_steps"] = options.WarmupSteps.ToString(c),
            ["gradient_accumulation_steps"] = options.GradientAccumulationSteps.ToString(c),
            ["max_grad_norm"] = options.MaxGradNorm.ToString("R", c),
            ["seed"] = options.Seed.ToString(c),
            ["trainable_parameters"] = CheckpointStore.Hash(string.Join(",", trainable.Select(p => $"{p.Name}[{string.Join("x", p.Parameter.shape)}]"))),
        };
        foreach (var (key, value) in options.Fingerprint)
        {
            fingerprint[key] = value;
        }
        return fingerprint;
    }

    /// <inheritdoc/>
    public void Dispose() => optimizer.Dispose();

    private TrainingProgress TrainStep(IReadOnlyList<TrainingBatch> batches)
    {
        var stopwatch = Stopwatch.StartNew();
        using var stepScope = NewDisposeScope(); // gradient wrappers made by zero_grad and clipping
        manual_seed(options.Seed + Step);
        model.train();
        optimizer.zero_grad();
        double loss = 0;
        long tokens = 0;
        for (var micro = 0; micro < options.GradientAccumulationSteps; micro++)
        {
            using var scope = NewDisposeScope();
            var batch = batches[(int)(((long)Step * options.GradientAccumulationSteps + micro) % batches.Count)];
            var microLoss = Forward(batch);
            var value = microLoss.item<float>();
            if (!float.IsFinite(value))
            {
                optimizer.zero_grad();
                throw new TrainingDivergedException(Step + 1, "loss", value);
            }
            microLoss.div(options.GradientAccumulationSteps).backward();
            loss += value / options.GradientAccumulationSteps;
            tokens += batch.InputIds.Length;
        }
        var parameters = trainable.Select(p => p.Parameter).ToList();
        var gradNorm = nn.utils.clip_grad_norm_(parameters, options.MaxGradNorm > 0 ? options.MaxGradNorm : double.PositiveInfinity);
        if (!double.IsFinite(gradNorm))
        {
            optimizer.zero_grad();
            throw new TrainingDivergedException(Step + 1, "gradient norm", gradNorm);
        }
        var lr = options.LearningRate * LearningRateSchedule.Factor(options.Schedule, Step, options.WarmupSteps, options.MaxSteps);
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = lr;
        }
        optimizer.step();
        optimizer.zero_grad();
        Step++;
        losses.Add(loss);
        var seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        return new TrainingProgress(Step, loss, lr, gradNorm, tokens / seconds);
    }

    private Tensor Forward(TrainingBatch batch)
    {
        long[] shape = [batch.Rows, batch.Columns];
        var ids = tensor(batch.InputIds, shape, device: device);
        var labels = tensor(batch.Labels, shape, device: device);
        var positions = batch.PositionIds is null ? null : tensor(batch.PositionIds, shape, device: device);
        var mask = batch.AttentionMask is null ? null : tensor(batch.AttentionMask, shape, device: device);
        var logits = model.call(ids, positions, mask);
        return CausalLmLoss.Compute(logits, labels, positions);
    }

    private sealed record CheckpointState(int Step, long Seed, double[] Losses, double[][]? Evaluations);
}
