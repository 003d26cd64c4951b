using System.Text.Json;
using Parley.Cli;

namespace Parley.Runtime.Tests.Cli;

/// <summary><c>parley train --config</c> in-process on the Yoda sample's pairs with the tiny default model and few steps.</summary>
[NonParallelizable]
public class TrainCommandTests
{
    private const string YodaData = """
        "data": {"path": "pairs.csv", "rename": {"sentence": "prompt", "translation_extra": "completion"}, "drop": ["translation"]}
        """;

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ParleyCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A folder with the first <paramref name="rows"/> of the sample's yoda_pairs.csv as pairs.csv and <paramref name="config"/> as train.json.</summary>
    private static string Config(string config, int rows = 40)
    {
        string folder = Directory.CreateTempSubdirectory("parley-train-").FullName;
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv"));
        File.WriteAllLines(Path.Combine(folder, "pairs.csv"), lines.Take(rows + 1));
        string path = Path.Combine(folder, "train.json");
        File.WriteAllText(path, config);
        return path;
    }

    private static string[] LogSteps(string output) =>
        File.ReadAllLines(Path.Combine(output, "train_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetRawText()).ToArray();

    private static double[] LogLosses(string output) =>
        File.ReadAllLines(Path.Combine(output, "train_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();

    [Test]
    public void Train_YodaConfig_WritesPeftAdapterPlotAndLog()
    {
        string config = Config($$"""
            {"template": "yoda", {{YodaData}},
             "steps": 2, "seq_length": 64, "generation_prompts": 1, "max_new_tokens": 4, "output": "run", "device": "auto"}
            """);

        var (code, output, error) = Run("train", "--config", config, "--no-progress");

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        string run = Path.Combine(Path.GetDirectoryName(config)!, "run");
        string adapter = Path.Combine(run, "adapter");
        using JsonDocument adapterConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        Assert.That(adapterConfig.RootElement.GetProperty("peft_type").GetString(), Is.EqualTo("LORA"));
        Assert.That(adapterConfig.RootElement.GetProperty("r").GetInt32(), Is.EqualTo(16));
        Assert.That(new FileInfo(Path.Combine(adapter, "adapter_model.safetensors")).Length, Is.GreaterThan(0));
        Assert.That(File.ReadAllText(Path.Combine(run, "loss.svg")), Does.StartWith("<svg").And.Contain("<polyline"));
        Assert.That(LogSteps(run), Is.EqualTo(new[] { "1", "2" }));
        Assert.That(error, Does.Contain("sentence → prompt, translation_extra → completion, translation dropped"));
        Assert.That(error, Does.Contain("##[YODA]##>").And.Contain("before:").And.Contain("after:"));
        Assert.That(error, Does.Contain("2/2 loss"), "a progress line per step on stderr");
        Assert.That(error, Does.Contain(TorchSharp.torch.cuda.is_available() ? "auto: CUDA is available, training on cuda:0" : "auto: CUDA is not available, training on the CPU"));
        Assert.That(error, Does.Contain("train split: 36 rows: 36 kept"), "the row summary");
        string[] log = File.ReadAllLines(Path.Combine(run, "train_log.jsonl"));
        Assert.That(log[1], Does.Contain("\"learning_rate\":").And.Contain("\"eval_loss\":"), "the last step carries the learning rate and the eval loss");
        Assert.That(output, Does.Contain("adapter " + adapter));
        Assert.That(Directory.Exists(Path.Combine(run, "checkpoints")), Is.False, "no checkpoints unless checkpoint_every is set");
    }

    [Test]
    public void Train_StoppedAfterTwoSteps_ResumesFromTheCheckpointAtStepTwo()
    {
        // phi3: prompt/completion rows become a user and an assistant turn of a chat template.
        string config = Config($$"""
            {"template": "phi3", {{YodaData}},
             "steps": 4, "seq_length": 64, "generation_prompts": 1, "max_new_tokens": 2, "output": "run", "checkpoint_every": 1}
            """, rows: 30);
        string run = Path.Combine(Path.GetDirectoryName(config)!, "run");

        var (first, firstOut, firstErr) = Run("train", "--config", config, "--no-progress", "--stop-after-step", "2");
        Assert.That(first, Is.EqualTo(ParleyCli.Ok), firstErr);
        Assert.That(firstOut, Does.Contain("steps 1–2"));
        Assert.That(LogSteps(run), Is.EqualTo(new[] { "1", "2" }));
        double[] before = LogLosses(run);
        Assert.That(Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName), Is.EqualTo(new[] { "step-000002" }), "one complete checkpoint folder, the step the run stopped at");
        Assert.That(File.Exists(Path.Combine(run, "checkpoints", "step-000002", "manifest.json")), Is.True);

        var (second, secondOut, secondErr) = Run("train", "--config", config, "--no-progress");
        Assert.That(second, Is.EqualTo(ParleyCli.Ok), secondErr);
        Assert.That(secondErr, Does.Contain("continuing from the checkpoint at step 2"));
        Assert.That(secondErr, Does.Not.Contain("1/4 loss").And.Contain("3/4 loss").And.Contain("4/4 loss"));
        Assert.That(secondOut, Does.Contain("steps 3–4"));
        Assert.That(LogSteps(run), Is.EqualTo(new[] { "1", "2", "3", "4" }));
        Assert.That(LogLosses(run)[..2], Is.EqualTo(before), "the first two steps' losses come from the checkpoint");
        Assert.That(File.Exists(Path.Combine(run, "adapter", "adapter_model.safetensors")), Is.True);

        var (third, thirdOut, thirdErr) = Run("train", "--config", config, "--no-progress");
        Assert.That(third, Is.EqualTo(ParleyCli.Ok), thirdErr);
        Assert.That(thirdOut, Does.Contain("nothing to train (already at step 4)"));
        Assert.That(LogSteps(run), Is.EqualTo(new[] { "1", "2", "3", "4" }));
    }

    [TestCase("""{"data": "pairs.csv"}""", "template", "missing")]
    [TestCase("""{"template": "yoda"}""", "data", "missing")]
    [TestCase("""{"template": "yoda", "data": {"rename": {}}}""", "data.path", "missing")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "steps": "ten"}""", "steps", "expected an integer, got the string \"ten\"")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "learning_rate": true}""", "learning_rate", "expected a number")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "lora": {"r": 1.5}}""", "lora.r", "expected an integer")]
    [TestCase("""{"template": 3, "data": "pairs.csv"}""", "template", "expected a string, got the number 3")]
    [TestCase("""{"template": "llama9", "data": "pairs.csv"}""", "template", "'llama9' is neither a built-in template (phi3, chatml, qwen3, llama3.1, gemma3, deepseek-v3, yoda) nor a tokenizer_config.json / .jinja file")]
    [TestCase("""{"template": "yoda", "data": "nope.csv"}""", "data", "no such file")]
    [TestCase("""{"template": "yoda", "data": {"path": "nope.csv"}}""", "data.path", "no such file")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "tokenizer": "missing/tokenizer.json"}""", "tokenizer", "no such file or folder")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "model": "missing.bin"}""", "model", "no such file or folder")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "stpes": 3}""", "stpes", "unknown field")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "steps": 0}""", "steps", "must be at least 1")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "device": "tpu"}""", "device", "use cpu, cuda")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "max_new_tokens": -1}""", "max_new_tokens", "-1: must not be negative")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "seq_length": 2000000000}""", "seq_length", "2000000000: must be between 1 and 1048576")]
    [TestCase("""{"template": "yoda", "data": "pairs.csv", "bad_rows": "maybe"}""", "bad_rows", "use \"fail\"")]
    public void BadConfig_IsExitCodeOneNamingTheFileAndField(string json, string field, string problem)
    {
        string config = Config(json);

        var (code, _, error) = Run("train", "--config", config);

        Assert.That(code, Is.EqualTo(ParleyCli.BadInput), error);
        Assert.That(error, Does.Contain($"{config}: field '{field}': "));
        Assert.That(error, Does.Contain(problem));
    }

    [Test]
    public void Template_CanBeAModelsTokenizerConfig_NextToTheConfig()
    {
        string config = Config($$"""{"template": "model/tokenizer_config.json", {{YodaData}}}""");
        string model = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(config)!, "model")).FullName;
        File.Copy(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct", "tokenizer_config.json"), Path.Combine(model, "tokenizer_config.json"));

        var (template, _) = TrainConfig.Read(config);

        Assert.That(template.Info.Kind, Is.EqualTo(TemplateKind.Jinja));
        Assert.That(template.Format([ChatMessage.User("Hi"), ChatMessage.Assistant("Hello")]),
            Is.EqualTo("<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|endoftext|>"));
    }

    [Test]
    public void Template_JinjaFileWithAnError_NamesTheFieldAndThePosition()
    {
        string config = Config($$"""{"template": "chat.jinja", {{YodaData}}}""");
        string jinja = Path.Combine(Path.GetDirectoryName(config)!, "chat.jinja");
        File.WriteAllText(jinja, "{% for m in messages %}{{ m.content | shout }}{% endfor %}");

        var (code, _, error) = Run("train", "--config", config);

        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(error, Does.Contain($"{config}: field 'template': {jinja}:1:39: filter: No filter named 'shout'"));
    }

    [Test]
    public void BadConfig_NotJsonOrMissing_IsExitCodeOneNamingTheFile()
    {
        string config = Config("{\"template\": \"yoda\",\n \"data\": }");
        var (code, _, error) = Run("train", "--config", config);
        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(error, Does.Contain(config + ":2: not valid JSON"));

        string missing = Path.Combine(Path.GetDirectoryName(config)!, "absent.json");
        var (code2, _, error2) = Run("train", "--config", missing);
        Assert.That(code2, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(error2, Does.Contain($"--config '{missing}': no such file."));
    }

    [Test]
    public void Help_DocumentsTheSchemaWithAnExample()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.That(code, Is.EqualTo(ParleyCli.Ok));
        Assert.That(output, Does.Contain("Example: parley train --config train.json").And.Contain("checkpoint_every").And.Contain("\"template\": \"yoda\""));
    }

    private static void AssertOneLine(int code, string error, string expected)
    {
        // Progress lines come first on stderr; the error is the last line, alone.
        Assert.That(code, Is.EqualTo(ParleyCli.BadInput), error);
        Assert.That(error, Does.Not.Contain("   at ").And.Not.Contain("internal error"));
        string last = error.TrimEnd('\r', '\n').Split('\n')[^1];
        Assert.That(last, Does.StartWith("parley: ").And.Contain(expected));
    }

    [Test]
    public void Cuda_WithoutCuda_IsOneLine()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Ignore("CUDA is available here");
        string config = Config($$"""{"template": "yoda", {{YodaData}}, "device": "cuda"}""");
        var (code, _, error) = Run("train", "--config", config, "--no-progress");
        AssertOneLine(code, error, "device: \"cuda\" was asked for but CUDA is not available");
    }

    [Test]
    public void ModelConfigWithoutModelType_IsOneLineNamingTheFile()
    {
        string config = Config($$"""{"template": "yoda", {{YodaData}}, "model": "m", "generation_prompts": 1}""");
        string model = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(config)!, "m")).FullName;
        File.WriteAllText(Path.Combine(model, "config.json"), """{"hidden_size": 64}""");
        var (code, _, error) = Run("train", "--config", config, "--no-progress");
        AssertOneLine(code, error, $"{Path.Combine(model, "config.json")}: no \"model_type\"");
    }

    [Test]
    public void DivergentRun_StopsWithoutAnAdapter_KeepingTheLastGoodCheckpoint()
    {
        string config = Config($$"""
            {"template": "yoda", {{YodaData}},
             "steps": 6, "seq_length": 64, "learning_rate": 1e30, "generation_prompts": 1, "max_new_tokens": 2, "output": "run", "checkpoint_every": 1}
            """, rows: 20);
        string run = Path.Combine(Path.GetDirectoryName(config)!, "run");

        var (code, _, error) = Run("train", "--config", config, "--no-progress");

        Assert.That(code, Is.EqualTo(ParleyCli.BadInput), error);
        string last = error.TrimEnd().Split('\n')[^1];
        Assert.That(last, Does.StartWith("parley: training diverged at step ").And.Contain("Lower the learning rate"));
        Assert.That(Directory.Exists(Path.Combine(run, "adapter")), Is.False, "no NaN adapter");
        string[] checkpoints = Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).ToArray()!;
        Assert.That(checkpoints, Has.Length.EqualTo(1).And.All.StartWith("step-"), "the last good checkpoint stays");
    }

    [Test]
    public void Resume_WithAnotherLearningRate_IsRefusedNamingTheField_UnlessForced()
    {
        string Json(double lr) => $$"""
            {"template": "yoda", {{YodaData}},
             "steps": 3, "seq_length": 64, "learning_rate": {{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "generation_prompts": 1, "max_new_tokens": 2, "output": "run", "checkpoint_every": 1}
            """;
        string config = Config(Json(0.002), rows: 20);
        var (first, _, firstErr) = Run("train", "--config", config, "--no-progress", "--stop-after-step", "1");
        Assert.That(first, Is.EqualTo(ParleyCli.Ok), firstErr);

        File.WriteAllText(config, Json(0.001));
        var (second, _, secondErr) = Run("train", "--config", config, "--no-progress");
        AssertOneLine(second, secondErr, "written by a run with learning_rate = 0.002, but this run has learning_rate = 0.001");
        Assert.That(secondErr, Does.Contain("--force-resume"));

        var (third, _, thirdErr) = Run("train", "--config", config, "--no-progress", "--force-resume");
        Assert.That(third, Is.EqualTo(ParleyCli.Ok), thirdErr);
        Assert.That(thirdErr, Does.Contain("continuing from the checkpoint at step 1"));
    }
}
