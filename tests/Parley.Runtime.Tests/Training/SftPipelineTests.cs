using Parley.Data;
using Parley.Templates;
using Parley.Training;
using Parley.Training.Sft;

namespace Parley.Runtime.Tests.Training;

/// <summary>The runtime's SFT pipeline on its own: a custom reporter, the generation form, the loss plot.</summary>
[NonParallelizable]
public class SftPipelineTests
{
    private sealed class Recorder : ISftReporter
    {
        public List<string> Steps { get; } = [];

        public List<(int First, int Last)> Trainings { get; } = [];

        public List<int> Progress { get; } = [];

        public void Step(string name, string text) => Steps.Add(name);

        public void Training(int firstStep, int lastStep, Action<Action<TrainingProgress>> train)
        {
            Trainings.Add((firstStep, lastStep));
            train(p => Progress.Add(p.Step));
        }
    }

    [Test]
    public void Run_ReportsEachStepAndDrivesTheTrainingCallback()
    {
        string folder = Directory.CreateTempSubdirectory("parley-sft-").FullName;
        string data = Path.Combine(folder, "pairs.csv");
        File.WriteAllLines(data, File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv")).Take(31));
        var recorder = new Recorder();
        var options = new SftOptions
        {
            Data = data,
            Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
            Steps = 2, SeqLength = 64, GenerationPrompts = 1, MaxNewTokens = 2, Output = Path.Combine(folder, "out"),
        };

        SftResult result = new SftPipeline(ChatML.Instance, options, recorder).Run();

        Assert.That(recorder.Steps, Is.EqualTo(new[] { "data", "model", "tokenizer", "resize", "template", "labels", "rows", "packing", "qlora", "training", "generate", "saved" }));
        Assert.That(recorder.Trainings, Is.EqualTo(new[] { (0, 2) }));
        Assert.That(recorder.Progress, Is.EqualTo(new[] { 1, 2 }));
        Assert.That((result.TrainRows, result.EvalRows, result.LastStep, result.ResumedFromStep), Is.EqualTo((27, 3, 2, 0)));
        Assert.That(result.Generations, Has.Count.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(result.AdapterDirectory, "adapter_model.safetensors")), Is.True);
    }

    [Test]
    public void BadOptions_AreConfigExceptionsNamingTheField()
    {
        var options = new SftOptions { Data = "x.csv", EvalFraction = 1.5 };
        Assert.That(() => new SftPipeline(ChatML.Instance, options, new TextWriterSftReporter(TextWriter.Null)).Run(),
            Throws.TypeOf<ConfigException>().With.Message.StartsWith("eval_fraction: 1.5").And.Property("Field").EqualTo("eval_fraction"));
    }

    [Test]
    public void PromptCompletionTemplate_GenerationFormAsAChat_IsThePatternWithoutTheCompletion()
    {
        const string prompt = "The Force is strong in you.";
        Assert.That(YodaPromptCompletion.Instance.Format([ChatMessage.User(prompt)], addGenerationPrompt: true),
            Is.EqualTo(YodaPromptCompletion.Format(prompt, null)));
    }

    [Test]
    public void LossPlot_WritesTrainLineEvalDotsAndEscapedTitle()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("parley-plot-").FullName, "loss.svg");
        LossPlot.Write(path, [(1, 3.0), (2, 2.5), (3, 2.0)], [(0, 3.1), (3, 2.2)], "a <b> & c");
        string svg = File.ReadAllText(path);
        Assert.That(svg, Does.StartWith("<svg").And.Contain("<polyline").And.Contain("a &lt;b&gt; &amp; c"));
        Assert.That(svg.Split("<circle").Length - 1, Is.EqualTo(2));
    }
}

/// <summary>The seed's architecture through the whole pipeline: an HF OPT folder as the model.</summary>
[NonParallelizable]
public class SftPipelineOptTests
{
    /// <summary>The tiny random OPT of the reference check, with its learned positions extended to 256 (the pipeline's rows are longer than its 32).</summary>
    private static string OptFolderWithLongerPositions(string folder)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Training", "Data", "opt-tiny-prenorm");
        string model = Directory.CreateDirectory(Path.Combine(folder, "opt")).FullName;
        string config = File.ReadAllText(Path.Combine(source, "config.json")).Replace("\"max_position_embeddings\": 32", "\"max_position_embeddings\": 256");
        Assert.That(config, Does.Contain("\"max_position_embeddings\": 256"));
        File.WriteAllText(Path.Combine(model, "config.json"), config);

        Dictionary<string, TorchSharp.torch.Tensor> tensors = SafeTensorsFile.Load(Path.Combine(source, "model.safetensors"));
        var positions = tensors["model.decoder.embed_positions.weight"];
        var generator = new TorchSharp.torch.Generator(7);
        var extra = TorchSharp.torch.randn([258 - positions.shape[0], positions.shape[1]], generator: generator) * 0.3;
        tensors["model.decoder.embed_positions.weight"] = TorchSharp.torch.cat([positions, extra], 0);
        SafeTensorsFile.Save(Path.Combine(model, "model.safetensors"), tensors);
        return model;
    }

    [Test]
    public void Run_OnAnOptFolder_TrainsOptsProjectionsAndExportsPeftKeys()
    {
        string folder = Directory.CreateTempSubdirectory("parley-sft-opt-").FullName;
        string data = Path.Combine(folder, "pairs.csv");
        File.WriteAllLines(data, File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv")).Take(31));
        var options = new SftOptions
        {
            Data = data,
            Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
            Model = OptFolderWithLongerPositions(folder),
            Steps = 3, SeqLength = 64, GenerationPrompts = 1, MaxNewTokens = 2, Output = Path.Combine(folder, "out"),
        };

        SftResult result = new SftPipeline(YodaPromptCompletion.Instance, options, new TextWriterSftReporter(TextWriter.Null)).Run();

        Assert.That(result.LastStep, Is.EqualTo(3));
        var (entries, _) = SafeTensorsFile.ReadHeader(Path.Combine(result.AdapterDirectory, "adapter_model.safetensors"));
        var names = entries.Select(e => e.Name).ToHashSet();
        Assert.That(names, Does.Contain("base_model.model.model.decoder.layers.0.self_attn.q_proj.lora_A.weight"));
        Assert.That(names, Does.Contain("base_model.model.model.decoder.layers.1.fc2.lora_B.weight"));
        Assert.That(names.Where(n => n.Contains("self_attn.out_proj.lora_A")).Count(), Is.EqualTo(2));
    }
}
