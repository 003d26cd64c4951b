using System.Text.Json;
using Parley.Cli;
using Parquet.Serialization;

namespace Parley.Runtime.Tests.Cli;

/// <summary>The parley commands in-process on the fixtures: outputs, exit codes and a bad input each.</summary>
public class CliTests
{
    private static string Phi3Tokenizer => Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct");

    private static string YodaMessages => Fixtures.Path("data", "yoda_train_messages.jsonl");

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ParleyCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public void Format_WritesTextAndTrainableRangesPerRow()
    {
        var (code, output, error) = Run("format", "--template", "phi3", "--data", YodaMessages);

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(576));
        using JsonDocument first = JsonDocument.Parse(lines[1]);
        string text = first.RootElement.GetProperty("text").GetString()!;
        Assert.That(text, Is.EqualTo("<|user|>\nIt was a bad error on the part of the new judge.<|end|>\n<|assistant|>\nA bad error on the part of the new judge, it was. Hrmmm.<|end|>\n<|endoftext|>"));
        JsonElement range = first.RootElement.GetProperty("trainable")[0];
        Assert.That(text[range[0].GetInt32()..range[1].GetInt32()], Is.EqualTo("A bad error on the part of the new judge, it was. Hrmmm.<|end|>\n<|endoftext|>"));
    }

    [Test]
    public void Inspect_ShowsTrainedTokensAndLabels()
    {
        var (code, output, error) = Run("inspect", "--template", "phi3", "--tokenizer", Phi3Tokenizer, "--data", YodaMessages, "--row", "1", "--plain");

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        Assert.That(output, Does.Contain("37 tokens, 20 trained"));
        Assert.That(output, Does.Contain("│<|assistant|>│⟦▁A⟧│⟦▁bad⟧│"));
        Assert.That(output, Does.Contain("labels:    [-100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, 319, 4319, 1059, 373, 278, 760, 310, 278, 716, 16833, 29892, 372, 471, 29889, 379, 1758, 4317, 29889, 32007, 32000]"));
    }

    [Test]
    public async Task Pack_WritesParquetWithHfColumnNames()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("parley-pack-").FullName, "packed.parquet");
        var (code, output, error) = Run("pack", "--template", "phi3", "--tokenizer", Phi3Tokenizer, "--data", YodaMessages,
            "--seq-length", "256", "--strategy", "bfd", "--out", path);

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        Assert.That(output, Does.Contain("Bfd: 576 sequences -> 73 rows of 256, fill 96.59 % (18050 of 18688 tokens)"));

        await using FileStream stream = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeAsync<PackCommand.PackedRow>(stream);
        IList<PackCommand.PackedRow> rows = result.Data;
        Assert.That(rows, Has.Count.EqualTo(73));
        Assert.That(rows.Sum(r => r.input_ids.Length), Is.EqualTo(18050));
        foreach (var row in rows)
        {
            Assert.That(row.labels, Has.Length.EqualTo(row.input_ids.Length));
            Assert.That(row.seq_lengths.Sum(), Is.EqualTo(row.input_ids.Length));
            Assert.That(row.position_ids.Count(p => p == 0), Is.EqualTo(row.seq_lengths.Length), "position_ids restart once per packed sequence");
        }
    }

    [Test]
    public async Task Pack_StreamsSeveralRowGroups_KeepingEveryToken()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("parley-pack-").FullName, "split.parquet");
        var (code, output, error) = Run("pack", "--template", "phi3", "--tokenizer", Phi3Tokenizer, "--data", YodaMessages,
            "--seq-length", "16", "--strategy", "bfd_split", "--out", path);

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        Assert.That(output, Does.Contain("576 rows: 576 kept"));
        await using FileStream stream = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeAsync<PackCommand.PackedRow>(stream);
        IList<PackCommand.PackedRow> rows = result.Data;
        Assert.That(rows, Has.Count.GreaterThan(1024), "more than one row group of 1,024 packed rows");
        Assert.That(rows.Sum(r => r.input_ids.Length), Is.EqualTo(18050), "bfd_split keeps every token of the 576 rows");
        Assert.That(rows.All(r => r.input_ids.Length <= 16 && r.labels.Length == r.input_ids.Length && r.seq_lengths.Sum() == r.input_ids.Length), Is.True);
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Is.EqualTo(new[] { path }), "the spill and temporary files are gone");
    }

    [Test]
    public void BadRow_IsExitCodeOneNamingFileLineAndField()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("parley-bad-").FullName, "bad.jsonl");
        File.WriteAllText(file, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": [{\"role\": \"user\", \"content\": 5}]}\n");

        var (code, _, error) = Run("format", "--template", "phi3", "--data", file);

        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(error, Does.Contain(file + ":2 (row 1), field 'messages[0].content'"));
    }

    [Test]
    public void UnknownTemplate_And_MissingOption_AreBadInput()
    {
        var (code, _, error) = Run("format", "--template", "nope", "--data", YodaMessages);
        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(error, Does.Contain("--template 'nope': not a built-in template (phi3, chatml, qwen3, llama3.1, gemma3, deepseek-v3, yoda) nor a tokenizer_config.json or .jinja file."));

        var (missing, _, _) = Run("pack", "--data", YodaMessages);
        Assert.That(missing, Is.EqualTo(ParleyCli.BadInput));
    }

    [TestCase("qwen3", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello<|im_end|>\n", "Hello<|im_end|>")]
    [TestCase("llama-3.1", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>", "Hello<|eot_id|>")]
    [TestCase("gemma3", "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n", "Hello<end_of_turn>")]
    [TestCase("deepseek-v3", "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜>", "Hello<｜end▁of▁sentence｜>")]
    public void Format_WithABuiltInModelTemplate(string name, string expected, string trained)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("parley-builtin-").FullName, "chat.jsonl");
        File.WriteAllText(file, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n");

        var (code, output, error) = Run("format", "--template", name, "--data", file);

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        using JsonDocument row = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]);
        string text = row.RootElement.GetProperty("text").GetString()!;
        Assert.That(text, Is.EqualTo(expected));
        JsonElement range = row.RootElement.GetProperty("trainable")[0];
        Assert.That(text[range[0].GetInt32()..range[1].GetInt32()], Is.EqualTo(trained), "the answer and the token that ends its turn");
    }

    [Test]
    public void Render_WithABuiltInJinjaTemplateName()
    {
        string vars = Path.Combine(Directory.CreateTempSubdirectory("parley-render-").FullName, "vars.json");
        File.WriteAllText(vars, """{"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true, "enable_thinking": false}""");

        var (code, output, error) = Run("render", "--template", "qwen3", "--vars", vars);
        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        Assert.That(output, Is.EqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"));

        var (structured, _, message) = Run("render", "--template", "phi3", "--vars", vars);
        Assert.That(structured, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(message, Does.Contain("has no Jinja variable model"));
    }

    [TestCase("qwen3")]
    [TestCase("Llama-3.1")]
    [TestCase("gemma-3")]
    [TestCase("deepseek-v3")]
    public void TrainConfig_AcceptsTheBuiltInModelTemplates(string name)
    {
        string folder = Directory.CreateTempSubdirectory("parley-train-config-").FullName;
        File.WriteAllText(Path.Combine(folder, "chat.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n");
        string config = Path.Combine(folder, "train.json");
        File.WriteAllText(config, $$"""{"template": "{{name}}", "data": "chat.jsonl"}""");

        var (template, _) = TrainConfig.Read(config);

        Assert.That(template, Is.SameAs(Parley.Templates.BuiltInTemplates.Find(name)));
    }

    [Test]
    public void Inspect_RowPastTheEnd_IsBadInput()
    {
        var (code, _, error) = Run("inspect", "--template", "phi3", "--tokenizer", Phi3Tokenizer, "--data", YodaMessages, "--row", "9999");
        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(error, Does.Contain("has no row 9999"));
    }

    [Test]
    public void Render_Phi3TokenizerConfig_MatchesTransformers()
    {
        string vars = Path.Combine(Directory.CreateTempSubdirectory("parley-render-").FullName, "vars.json");
        using (JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("reference", "expected_transformersjs_outputs.json"))))
        {
            File.WriteAllText(vars, "{\"messages\": " + reference.RootElement.GetProperty("messages").GetRawText() + ", \"add_generation_prompt\": false}");
        }

        var (code, output, error) = Run("render", "--template", Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct", "tokenizer_config.json"), "--vars", vars);

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        Assert.That(output, Is.EqualTo("<|system|>\nYou are a helpful AI assistant.<|end|>\n<|user|>\nWhat is the capital of Argentina?<|end|>\n<|assistant|>\nBuenos Aires.<|end|>\n<|endoftext|>"));
    }

    [Test]
    public void Format_WithATokenizerConfig_CompilesItsJinjaTemplate()
    {
        var (code, output, error) = Run("format", "--template", Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct", "tokenizer_config.json"), "--data", YodaMessages);

        Assert.That(code, Is.EqualTo(ParleyCli.Ok), error);
        using JsonDocument first = JsonDocument.Parse(output.Split('\n')[1]);
        Assert.That(first.RootElement.GetProperty("text").GetString(),
            Is.EqualTo("<|user|>\nIt was a bad error on the part of the new judge.<|end|>\n<|assistant|>\nA bad error on the part of the new judge, it was. Hrmmm.<|end|>\n<|endoftext|>"));
    }

    [Test]
    public void Check_ReportsLineAndColumn_AndExitsOne()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("parley-check-").FullName, "broken.jinja");
        File.WriteAllText(file, "{% for m in messages %}\n{{ m.content | shout }}\n{% endfor %}");

        var (code, output, _) = Run("check", file);

        Assert.That(code, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(output, Does.StartWith(file + ":2:"));
        Assert.That(output, Does.Contain("shout"));

        File.WriteAllText(file, "{% for m in messages %}{{ m.content }}{% endfor %}");
        var (ok, okOutput, _) = Run("check", file);
        Assert.That(ok, Is.EqualTo(ParleyCli.Ok));
        Assert.That(okOutput, Does.Contain(": ok"));

        File.WriteAllText(file, "{% for m in mesages %}{{ m.content }}{% endfor %}");
        var (warned, warnOutput, _) = Run("check", file);
        Assert.That(warned, Is.EqualTo(ParleyCli.Ok), "an undefined name is a warning: the variables may supply it");
        Assert.That(warnOutput, Does.StartWith(file + ":1:13: warning: undefined: 'mesages' is neither set by the template nor a standard input"));
        Assert.That(warnOutput, Does.Contain(": ok"));
    }

    [Test]
    public void Render_MissingVarsOrBadJson_IsBadInput()
    {
        string template = Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct", "tokenizer_config.json");
        var (missing, _, missingError) = Run("render", "--template", template, "--vars", "/nonexistent/vars.json");
        Assert.That(missing, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(missingError, Does.Contain("--vars '/nonexistent/vars.json': no such file."));

        string vars = Path.Combine(Directory.CreateTempSubdirectory("parley-vars-").FullName, "vars.json");
        File.WriteAllText(vars, "{\n  \"messages\": [\n");
        var (bad, _, badError) = Run("render", "--template", template, "--vars", vars);
        Assert.That(bad, Is.EqualTo(ParleyCli.BadInput));
        Assert.That(badError, Does.Contain(vars + ":").And.Contain("not valid JSON"));
    }
}
