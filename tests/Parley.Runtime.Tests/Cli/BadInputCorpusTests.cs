using Parley.Cli;

namespace Parley.Runtime.Tests.Cli;

/// <summary>
/// Hostile and sloppy inputs, each of which once printed a .NET stack trace (or wrote bad data with exit code 0): every
/// one is now exit code 1 and a single line on stderr naming the file, field or option and what to change.
/// </summary>
[NonParallelizable]
public class BadInputCorpusTests
{
    private static string Phi3Tokenizer => Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct");

    private static string YodaMessages => Fixtures.Path("data", "yoda_train_messages.jsonl");

    private static string _folder = "";

    [OneTimeSetUp]
    public void CreateInputs()
    {
        _folder = Directory.CreateTempSubdirectory("parley-corpus-").FullName;
        Directory.CreateDirectory(Path.Combine(_folder, "truncated"));
        File.WriteAllText(Path.Combine(_folder, "truncated", "tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0");
        Directory.CreateDirectory(Path.Combine(_folder, "empty"));
        File.WriteAllText(Path.Combine(_folder, "empty", "tokenizer.json"), "{}");
        File.WriteAllBytes(Path.Combine(_folder, "garbage.model"), [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37 + 11))]);
        File.WriteAllText(Path.Combine(_folder, "surrogate.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ud800\"}, {\"role\": \"assistant\", \"content\": \"x\"}]}\n");
        File.WriteAllText(Path.Combine(_folder, "vars.json"), "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ud800\"}]}");
        File.WriteAllText(Path.Combine(_folder, "notes.txt"), "hello\n");
        File.WriteAllText(Path.Combine(_folder, "upper.jinja"), "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content | upper }}<|end|>\n{% endfor %}");
        File.WriteAllText(Path.Combine(_folder, "two-errors.jinja"), "{{ a | shout }}\n{{ b | whisper }}");
        File.WriteAllText(Path.Combine(_folder, "bad-row.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": [{\"role\": \"user\", \"content\": 5}]}\n");
        File.WriteAllText(Path.Combine(_folder, "empty-conversations.jsonl"),
            "{\"messages\": []}\n{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
    }

    [OneTimeTearDown]
    public void DeleteInputs() => Directory.Delete(_folder, recursive: true);

    private static string In(string name) => Path.Combine(_folder, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ParleyCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Exit code 1, one line starting "parley: ", no stack frame, and the expected text.</summary>
    private static void AssertOneLine((int Code, string Out, string Err) result, string expected)
    {
        Assert.That(result.Code, Is.EqualTo(ParleyCli.BadInput), result.Err);
        string line = result.Err.TrimEnd('\r', '\n');
        Assert.That(line, Does.Not.Contain('\n'), "one line");
        Assert.That(line, Does.StartWith("parley: "));
        Assert.That(line, Does.Not.Contain("   at ").And.Not.Contain("Exception"));
        Assert.That(line, Does.Contain(expected));
    }

    [Test]
    public void TruncatedTokenizerJson() =>
        AssertOneLine(Run("inspect", "--template", "phi3", "--tokenizer", In("truncated"), "--data", YodaMessages),
            $"{In("truncated")}{Path.DirectorySeparatorChar}tokenizer.json: $: not valid JSON (line 1, byte 43)");

    [Test]
    public void EmptyObjectTokenizerJson() =>
        AssertOneLine(Run("inspect", "--template", "phi3", "--tokenizer", In("empty"), "--data", YodaMessages),
            "tokenizer.json: model: required field is missing.");

    [Test]
    public void GarbageSentencePieceModel() =>
        AssertOneLine(Run("inspect", "--template", "phi3", "--tokenizer", In("garbage.model"), "--data", YodaMessages),
            In("garbage.model") + ": ");

    [Test]
    public void LoneSurrogateInData() =>
        AssertOneLine(Run("format", "--template", "phi3", "--data", In("surrogate.jsonl")),
            $"{In("surrogate.jsonl")}:1 (row 0), field 'messages[0].content': The string holds an unpaired UTF-16 surrogate escape");

    [Test]
    public void LoneSurrogateInVars() =>
        AssertOneLine(Run("render", "--template", "qwen3", "--vars", In("vars.json")),
            $"{In("vars.json")}: $.messages[0].content: the string holds an unpaired UTF-16 surrogate escape");

    [Test]
    public void TextFileAsData() =>
        AssertOneLine(Run("format", "--template", "phi3", "--data", In("notes.txt")),
            $"{In("notes.txt")}: files ending '.txt' are not a dataset format Parley reads; save it as JSON Lines (.jsonl), CSV (.csv) or Parquet (.parquet).");

    [Test]
    public void HugeSeqLength() =>
        AssertOneLine(Run("pack", "--template", "phi3", "--tokenizer", Phi3Tokenizer, "--data", YodaMessages, "--seq-length", "2147483647", "--out", In("p.parquet")),
            "--seq-length 2147483647: must be between 1 and 1048576.");

    [Test]
    public void OutputIntoProc()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("/proc is Linux's");
        AssertOneLine(Run("format", "--template", "phi3", "--data", YodaMessages, "--out", "/proc/version"), "--out '/proc/version': cannot write there");
    }

    [Test]
    public void ChatMLWithGpt2_WouldSplitItsSpecialTokens()
    {
        var result = Run("pack", "--template", "chatml", "--tokenizer", "gpt2", "--data", YodaMessages, "--seq-length", "128", "--out", In("chatml.parquet"));
        AssertOneLine(result, "template ChatML writes '<|im_start|>' (7 tokens), '<|im_end|>' (7 tokens), but the tokenizer gpt2 does not have them as single tokens");
        Assert.That(File.Exists(In("chatml.parquet")), Is.False, "nothing is written");
    }

    [Test]
    public void TemplateThatRewritesTheAnswer_TrainsNothing()
    {
        var result = Run("pack", "--template", In("upper.jinja"), "--tokenizer", Phi3Tokenizer, "--data", YodaMessages, "--seq-length", "256", "--out", In("upper.parquet"));
        AssertOneLine(result, $"{YodaMessages}: no row has a trained token (576 rows: 0 kept; skipped: 576 with no trained token)");
        Assert.That(File.Exists(In("upper.parquet")), Is.False);
        Assert.That(Directory.GetFiles(_folder, "*.tmp"), Is.Empty, "no temporary output is left behind");
    }

    [Test]
    public void TemplateWithTwoErrors_IsStillOneLine() =>
        AssertOneLine(Run("format", "--template", In("two-errors.jinja"), "--data", YodaMessages),
            $"{In("two-errors.jinja")}:1:8: filter: No filter named 'shout'");

    [Test]
    public void BadRow_HintSpeaksInFlags()
    {
        var result = Run("format", "--template", "phi3", "--data", In("bad-row.jsonl"));
        AssertOneLine(result, "field 'messages[0].content'");
        Assert.That(result.Err, Does.Contain("--bad-rows skip").And.Not.Contain("BadRowPolicy"));

        var skipped = Run("format", "--template", "phi3", "--data", In("bad-row.jsonl"), "--bad-rows", "skip", "--out", In("skipped.jsonl"));
        Assert.That(skipped.Code, Is.EqualTo(ParleyCli.Ok), skipped.Err);
        Assert.That(skipped.Out, Does.Contain("2 rows: 1 kept; skipped: 1 bad"));
    }

    [Test]
    public void EmptyConversations_AreSkippedAndCounted()
    {
        var result = Run("format", "--template", "phi3", "--data", In("empty-conversations.jsonl"), "--out", In("formatted.jsonl"));
        Assert.That(result.Code, Is.EqualTo(ParleyCli.Ok), result.Err);
        Assert.That(result.Out, Does.Contain("2 rows: 1 kept; skipped: 1 empty conversation"));
        Assert.That(File.ReadAllLines(In("formatted.jsonl")), Is.EqualTo(new[]
        {
            "{\"text\":\"<|user|>\\nhi<|end|>\\n<|assistant|>\\nyo<|end|>\\n<|endoftext|>\",\"trainable\":[[33,56]]}",
        }), "readable JSON: <|user|>, not \\u003C|user|\\u003E");
    }

    [Test]
    public void Shard_IsValidatedAndSelectsEveryNthRow()
    {
        AssertOneLine(Run("format", "--template", "phi3", "--data", YodaMessages, "--shard", "4/4"), "--shard '4/4': write i/n with 0 <= i < n");
        var all = Run("format", "--template", "phi3", "--data", YodaMessages).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var shard = Run("format", "--template", "phi3", "--data", YodaMessages, "--shard", "1/3").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(shard, Is.EqualTo(all.Where((_, i) => i % 3 == 1).ToArray()));
    }

    [Test]
    public void RenameAndDrop_MakeTheSampleCsvWorkInFormat()
    {
        string csv = Path.Combine(AppContext.BaseDirectory, "data", "yoda_pairs.csv");
        var result = Run("format", "--template", "yoda", "--data", csv, "--rename", "sentence=prompt", "--rename", "translation_extra=completion", "--drop", "translation", "--out", In("yoda.jsonl"));
        Assert.That(result.Code, Is.EqualTo(ParleyCli.Ok), result.Err);
        Assert.That(File.ReadLines(In("yoda.jsonl")).First(), Does.Contain("##[YODA]##>"));
    }
}

/// <summary>
/// The run-time compiled path keeps nothing on disk (so there is no cache entry to damage, verify or bound): templates
/// are compiled in memory into a collectible load context and cached in-process by source hash.
/// </summary>
public class TemplateCacheTests
{
    [Test]
    public void Compiled_templates_are_cached_in_process_and_write_nothing_to_disk()
    {
        string oldCache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "parley", "templates");
        int before = Directory.Exists(oldCache) ? Directory.GetFiles(oldCache).Length : 0;
        string folder = Directory.CreateTempSubdirectory("parley-compiled-").FullName;
        try
        {
            string jinja = Path.Combine(folder, "t.jinja");
            File.WriteAllText(jinja, "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}");
            var first = JinjaTemplateLoader.Load(jinja, JinjaMode.Compiled);
            var second = JinjaTemplateLoader.Load(jinja, JinjaMode.Compiled);

            Assert.That(first.Format([ChatMessage.User("hi")]), Is.EqualTo("[user]hi"));
            Assert.That(second.Format([ChatMessage.User("hi"), ChatMessage.Assistant("yo")]), Is.EqualTo("[user]hi[assistant]yo"));
            Assert.That(Directory.GetFiles(folder), Is.EqualTo(new[] { jinja }), "nothing written beside the template");
            Assert.That(Directory.Exists(oldCache) ? Directory.GetFiles(oldCache).Length : 0, Is.EqualTo(before), "nor in the user's profile");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary><c>parley check</c> on a tokenizer_config.json: positions are within its chat_template string.</summary>
public class CheckPositionTests
{
    [Test]
    public void Check_TokenizerConfig_NamesTheChatTemplateField()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("parley-check-").FullName, "tokenizer_config.json");
        File.WriteAllText(file, """{"chat_template": "{% for m in messages %}\n{{ m.content | shout }}{% endfor %}"}""");
        var output = new StringWriter();
        int code = ParleyCli.Run(["check", file], output, new StringWriter());
        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(output.ToString(), Does.StartWith($"{file}:chat_template:2:16: filter: No filter named 'shout'"));
    }
}

/// <summary><c>parley --help</c> is a short list; each command's help carries its examples (train's: the config schema).</summary>
public class HelpTests
{
    [Test]
    public void RootHelp_IsShort_TrainHelp_HasTheSchema()
    {
        var root = new StringWriter();
        Assert.That(ParleyCli.Run(["--help"], root, new StringWriter()), Is.EqualTo(ParleyCli.Ok));
        Assert.That(root.ToString(), Does.Contain("train         Fine-tunes a model with QLoRA from a JSON config and writes a PEFT adapter.").And.Not.Contain("Config (JSON"));
        Assert.That(root.ToString().Split('\n'), Has.Length.LessThan(25));

        var train = new StringWriter();
        Assert.That(ParleyCli.Run(["train", "--help"], train, new StringWriter()), Is.EqualTo(ParleyCli.Ok));
        Assert.That(train.ToString(), Does.Contain("Details:").And.Contain("Config (JSON").And.Contain("bad_rows").And.Contain("--force-resume"));
    }
}
