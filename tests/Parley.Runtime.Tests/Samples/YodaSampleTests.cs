using System.Text.Json;
using Parley.Samples.Yoda;
using Parley.Training.Sft;
using Spectre.Console;

namespace Parley.Runtime.Tests.Samples;

/// <summary>The README's main command, run in-process with few steps.</summary>
[NonParallelizable]
public class YodaSampleTests
{
    private static (SftResult Result, string Output) Run(YodaOptions options)
    {
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 400;
        SftResult result = new YodaPipeline(options, console).Run();
        return (result, text.ToString());
    }

    private static string TempDirectory() => Directory.CreateTempSubdirectory("parley-yoda-").FullName;

    [Test]
    public void DefaultRun_OnTheEmbeddedData_WritesAdapterPlotAndLog()
    {
        string output = TempDirectory();
        var (result, text) = Run(new YodaOptions { Output = output, Steps = 3, Progress = false });

        Assert.That((result.TrainRows, result.EvalRows), Is.EqualTo((216, 24)), "240 rows, 10 % held out");
        Assert.That(result.TrainLoss.Select(p => p.Step), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(result.TrainLoss.Select(p => p.Loss), Is.All.GreaterThan(0).And.All.LessThan(20));
        Assert.That(result.PackedFill, Is.GreaterThan(result.PaddedFill), "BFD packing wastes less than padding");
        Assert.That(text, Does.Contain("##[YODA]##>"));
        Assert.That(text, Does.Contain("Added special token '##[YODA]##>' as id 50262"));
        Assert.That(text, Does.Contain("none: 50263 tokens fit the 50272-row embedding (a resize would pad to a multiple of 32)"));
        Assert.That(text, Does.Contain("before:").And.Contain("after:"));
        Assert.That(text, Does.Contain("3/3 loss"), "without a progress bar, step lines still show the run is alive");
        Assert.That(text, Does.Contain("│⟦"), "trained tokens are marked without colour too");

        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.AdapterDirectory, "adapter_config.json")));
        Assert.That(config.RootElement.GetProperty("peft_type").GetString(), Is.EqualTo("LORA"));
        Assert.That(config.RootElement.GetProperty("r").GetInt32(), Is.EqualTo(16));
        Assert.That(File.Exists(Path.Combine(result.AdapterDirectory, "adapter_model.safetensors")), Is.True);
        Assert.That(File.ReadAllText(result.PlotPath), Does.StartWith("<svg").And.Contain("<polyline"));
        Assert.That(File.ReadAllLines(Path.Combine(output, "train_log.jsonl")), Has.Length.EqualTo(3));
    }

    [Test]
    public void Options_HelpListsEveryOption_AndBadValuesAreConfigErrors()
    {
        string[] documented = YodaOptions.Help.Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToArray();
        Assert.That(documented, Is.SupersetOf(new[] { "--output", "--data", "--tokenizer", "--model", "--steps", "--seq-length", "--lr", "--seed", "--device", "--no-progress", "--help" }));

        var e = Assert.Throws<Parley.ConfigException>(() => YodaOptions.Parse(["--steps", "ten"]))!;
        Assert.That(Parley.UserErrors.Describe(e), Is.EqualTo("--steps: 'ten' is not a whole number."));
        Assert.That(Assert.Throws<Parley.ConfigException>(() => YodaOptions.Parse(["--stpes", "3"]))!.Field, Is.EqualTo("--stpes"));
    }

    [Test]
    public void PretrainedStories260K_WithItsSentencePieceTokenizer_ResizesTheEmbedding()
    {
        string model = Fixtures.Path("models", "stories260K", "stories260K.bin");
        string tokenizer = Fixtures.Path("models", "stories260K", "tok512.model");
        var (result, text) = Run(new YodaOptions
        {
            Output = TempDirectory(), Data = Fixtures.Path("data", "yoda_sentences.csv"), Model = model, Tokenizer = tokenizer,
            Steps = 2, Progress = false,
        });

        Assert.That(result.TrainRows + result.EvalRows, Is.EqualTo(720));
        // tok512 has no PAD and no response token: two new ids past 512 rows, so the embedding grows to a multiple of 512.
        Assert.That(text, Does.Contain("embedding 512 → 1024 rows (pad_to_multiple_of 512"));
        Assert.That(double.IsFinite(result.EvalLossAfter), Is.True);
    }
}
