using System.Reflection;
using System.Text.Json;
using Parley.Jinja;

namespace Parley.Generators.Tests.Jinja;

/// <summary>
/// The typed formatter the generator emits beside <c>__Render</c> for plain conversations: which fixture templates get
/// one, and that it writes exactly what the general renderer writes — the text, the trainable ranges and the content
/// ranges — over the fixture's own conversation and over variations that reach other branches.
/// </summary>
[NonParallelizable]
public class TypedFormattingTests
{
    // The plain-message e2e templates that must compile to typed code (templates whose variables are only messages of
    // role and content, add_generation_prompt and the special tokens): 32 of the 36. The other four use none, list
    // literals, selectattr or `or` between values, which the typed subset does not cover, and format through the general
    // renderer; Typed_coverage prints why.
    private static readonly string[] MustBeTyped =
    [
        "_base", "blenderbot", "blenderbot_small", "bloom", "gpt_neox", "gpt2", "whisper",
        "HuggingFaceH4/zephyr-7b-beta (add_generation_prompt=false)", "TheBloke/Mistral-7B-Instruct-v0.1-GPTQ",
        "Qwen/Qwen1.5-72B-Chat", "HuggingFaceTB/SmolLM3-3B",
        "microsoft/Phi-3-mini-4k-instruct (2024-07) (add_generation_prompt=false)",
        "microsoft/Phi-3-mini-4k-instruct (2024-04) (add_generation_prompt=false)",
        "HuggingFaceH4/zephyr-7b-gemma-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "cognitivecomputations/dolphin-2.5-mixtral-8x7b", "openchat/openchat-3.5-0106",
        "upstage/SOLAR-10.7B-Instruct-v1.0", "deepseek-ai/deepseek-llm-7b-chat", "h2oai/h2o-danube-1.8b-chat",
        "internlm/internlm2-chat-7b", "abacusai/Smaug-34B-v0.1", "maywell/Synatra-Mixtral-8x7B",
        "deepseek-ai/DeepSeek-R1", "ericzzz/falcon-rw-1b-chat", "deepseek-ai/deepseek-coder-33b-instruct",
        "codellama/CodeLlama-70b-Instruct-hf", "Deci/DeciLM-7B-instruct",
        "TheBloke/deepseek-coder-33B-instruct-AWQ",
    ];

    // Templates whose e2e case has tools, documents or flags, and that also compile to typed code for plain
    // conversations (tools undefined): the most used fine-tuning families among them.
    private static readonly string[] MustBeTypedWithPlainMessages =
    [
        "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-0.6B", "Qwen/Qwen2.5-VL-7B-Instruct",
        "CohereForAI/c4ai-command-r-v01", "meetkai/functionary-medium-v2.2", "MadeAgents/Hammer2.1",
    ];

    [OneTimeSetUp]
    public void RequireFixtures()
    {
        if (CompiledCases.FixturesRoot() is not { } root || !Directory.Exists(root))
        {
            Assert.Ignore("fixtures folder not found (set PARLEY_FIXTURES to the shared fixtures folder)");
        }
    }

    // Every e2e template: the plain ones are checked against the fixture too; the others (tools, documents, flags in
    // their case) are formatted with plain conversations, typed against general.
    public static IEnumerable<TestCaseData> PlainCases() =>
        CompiledCases.EndToEnd.Select(c => new TestCaseData(c).SetName("Typed_" + c.Name));

    /// <summary>Whether the case's variables are a plain conversation (what Format and TryFormat take).</summary>
    public static bool IsPlain(JinjaCase c)
    {
        foreach (JsonProperty p in c.Variables.EnumerateObject())
        {
            if (p.Name is not ("messages" or "add_generation_prompt" or "bos_token" or "eos_token")) return false;
        }

        return c.Variables.TryGetProperty("messages", out JsonElement messages) && messages.EnumerateArray().All(m =>
            m.EnumerateObject().All(p => p.Name is "role" or "content") && m.GetProperty("content").ValueKind == JsonValueKind.String);
    }

    [Test]
    public void Typed_coverage()
    {
        var typed = new List<string>();
        foreach (JinjaCase c in CompiledCases.EndToEnd)
        {
            if (!CompiledCases.Get().Sources.TryGetValue("e2e:" + c.Name, out string? source)) continue;
            bool hasTyped = source.Contains("private static void __Format(", StringComparison.Ordinal);
            string reason = hasTyped ? "typed" : source.Split('\n').First(l => l.Contains("typed code does not cover", StringComparison.Ordinal)).Trim();
            TestContext.Out.WriteLine($"{c.Name}: {reason}");
            if (hasTyped) typed.Add(c.Name);
        }

        Assert.That(typed, Is.SupersetOf(MustBeTyped));
        Assert.That(typed, Is.SupersetOf(MustBeTypedWithPlainMessages));
    }

    [TestCaseSource(nameof(PlainCases))]
    public void Typed_and_general_paths_agree(JinjaCase c)
    {
        Type type = CompiledCases.Get().Types["e2e:" + c.Name];
        MethodInfo? format = type.GetMethod("__Format", BindingFlags.NonPublic | BindingFlags.Static);
        if (format is null)
        {
            // Outside the typed subset (Typed_coverage prints why): it must not be one that is expected to be typed.
            Assert.That(MustBeTyped, Does.Not.Contain(c.Name));
            Assert.That(MustBeTypedWithPlainMessages, Does.Not.Contain(c.Name));
            Assert.Pass("no typed code for this template: it formats through __Render");
        }

        if (!IsPlain(c)) Assert.That(MustBeTypedWithPlainMessages, Does.Contain(c.Name), "a template that gained typed code: list it");

        var render = type.GetMethod("__Render", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<JinjaRenderer>();
        var typedRenderer = format.CreateDelegate<JinjaMessageRenderer>();
        TemplateInfo info = (TemplateInfo)type.GetProperty("Info")!.GetValue(null)!;
        string? bos = c.Variables.TryGetProperty("bos_token", out JsonElement b) ? b.GetString() : null;
        string? eos = c.Variables.TryGetProperty("eos_token", out JsonElement e) ? e.GetString() : null;
        var general = new JinjaBoundTemplate(render, info, bos, eos);
        var typed = new JinjaBoundTemplate(render, info, bos, eos, typedRenderer);
        ChatMessage[] own = IsPlain(c) ? Messages(c.Variables.GetProperty("messages")) : [];
        if (IsPlain(c))
        {
            // The fixture's own conversation renders as Python rendered it, without handing over to the general renderer.
            bool ownPrompt = c.Variables.TryGetProperty("add_generation_prompt", out JsonElement p) && p.GetBoolean();
            string today = DateTime.Now.ToString("dd MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(typed.Format(own, ownPrompt), Is.EqualTo(c.Expected!.Replace("10 July 2025", today)));
            Assert.That(RunsTyped(typedRenderer, own, ownPrompt, bos, eos), Is.True, "the fixture's conversation stays on the typed path");
        }

        int typedRuns = 0;
        foreach (ChatMessage[] messages in Variations(own))
        {
            foreach (bool prompt in new[] { false, true })
            {
                Compare(general, typed, messages, prompt);
                if (RunsTyped(typedRenderer, messages, prompt, bos, eos)) typedRuns++;
            }
        }

        // Some variations hand over (an error to raise, no first message); the typed code must render the others itself.
        Assert.That(typedRuns, Is.GreaterThan(0), "no conversation stayed on the typed path");
    }

    [Test]
    public void Typed_formatting_allocates_nothing_in_steady_state()
    {
        // Llama 3.1 trims every message; Qwen3 splits out <think> blocks; CodeLlama concatenates; OpenChat title-cases roles.
        foreach (string name in new[]
        {
            "microsoft/Phi-3-mini-4k-instruct (2024-07) (add_generation_prompt=false)", "HuggingFaceTB/SmolLM3-3B", "mistralai/Mixtral-8x7B-Instruct-v0.1",
            "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-0.6B", "deepseek-ai/DeepSeek-R1", "codellama/CodeLlama-70b-Instruct-hf", "openchat/openchat-3.5-0106",
        })
        {
            Type type = CompiledCases.Get().Types["e2e:" + name];
            var template = (IChatTemplate)type.GetMethod("WithSpecialTokens")!.Invoke(null, ["<s>", "</s>"])!;
            ChatMessage[] messages = [ChatMessage.System("Be brief."), ChatMessage.User("Hi there"), ChatMessage.Assistant("<think>\nGreet.\n</think>\n\n  Hello!  "), ChatMessage.User("Bye"), ChatMessage.Assistant("Goodbye.")];
            if (name.StartsWith("mistralai", StringComparison.Ordinal)) messages = messages[1..];
            var options = new FormatOptions();
            char[] buffer = new char[8192];
            var trainable = new TextRange[16];
            var content = new TextRange[16];
            for (int i = 0; i < 3; i++) template.TryFormat(messages, buffer, out _, options, trainable, out _, content, out _);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) template.TryFormat(messages, buffer, out _, options, trainable, out _, content, out _);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(allocated, Is.Zero, name);
        }
    }

    [Test]
    public void A_raised_error_is_the_general_renderers_error()
    {
        IChatTemplate template = CompiledCases.Get().Templates["e2e:mistralai/Mixtral-8x7B-Instruct-v0.1"];
        var error = Assert.Throws<TemplateException>(() => template.Format([ChatMessage.Assistant("first"), ChatMessage.User("then")]));
        Assert.That(error!.Message, Does.Contain("Conversation roles must alternate user/assistant/user/assistant/..."));
    }

    private static bool RunsTyped(JinjaMessageRenderer typed, ChatMessage[] messages, bool prompt, string? bos, string? eos)
    {
        try
        {
            typed(messages, prompt, JinjaText.OfOptional(bos), JinjaText.OfOptional(eos), new JinjaOutput());
            return true;
        }
        catch (JinjaFallbackException)
        {
            return false;
        }
    }

    private static void Compare(IChatTemplate general, IChatTemplate typed, ChatMessage[] messages, bool prompt)
    {
        string label = string.Join(" | ", messages.Select(m => m.Role + ":" + m.Content)) + (prompt ? " +prompt" : "");
        string? expectedError = null;
        string? expected = null;
        try
        {
            expected = general.Format(messages, prompt);
        }
        catch (TemplateException ex)
        {
            expectedError = ex.Message;
        }

        if (expectedError is not null)
        {
            var error = Assert.Throws<TemplateException>(() => typed.Format(messages, prompt), label);
            Assert.That(error!.Message, Is.EqualTo(expectedError), label);
            return;
        }

        var options = new FormatOptions { AddGenerationPrompt = prompt };
        var (text, trainable, content) = Ranges(general, messages, options);
        var (typedText, typedTrainable, typedContent) = Ranges(typed, messages, options);
        Assert.That(typedText, Is.EqualTo(expected).And.EqualTo(text), label);
        Assert.That(typedTrainable, Is.EqualTo(trainable), "trainable ranges: " + label);
        Assert.That(typedContent, Is.EqualTo(content), "content ranges: " + label);
    }

    private static (string Text, TextRange[] Trainable, TextRange[] Content) Ranges(IChatTemplate template, ChatMessage[] messages, FormatOptions options)
    {
        char[] buffer = new char[template.GetMaxLength(messages, options)];
        var trainable = new TextRange[64];
        var content = new TextRange[64];
        Assert.That(template.TryFormat(messages, buffer, out int written, options, trainable, out int t, content, out int n), Is.True);
        return (new string(buffer, 0, written), trainable[..t], content[..n]);
    }

    private static ChatMessage[] Messages(JsonElement messages) =>
        messages.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString())).ToArray();

    // Conversations that reach other branches: no system message, a system message, whitespace to trim, an answer
    // repeating the question's text (content is told apart by where it is written, not by its text), empty content,
    // a conversation ending on the user, a single message, and none.
    private static IEnumerable<ChatMessage[]> Variations(ChatMessage[] own)
    {
        yield return own;
        yield return [ChatMessage.User("What is 2 + 2?"), ChatMessage.Assistant("4"), ChatMessage.User("And 3 + 3?"), ChatMessage.Assistant("6")];
        yield return [ChatMessage.System("You are terse. /think"), ChatMessage.User("  Hi \n"), ChatMessage.Assistant("\n Hello there.  \n")];
        yield return [ChatMessage.User("same"), ChatMessage.Assistant("same")];
        yield return [ChatMessage.User(""), ChatMessage.Assistant("")];
        yield return [ChatMessage.User("Only a question")];
        yield return [ChatMessage.System("sys"), ChatMessage.User("q"), ChatMessage.Assistant("a"), ChatMessage.User("q2")];
        yield return [ChatMessage.User("Weather?"), ChatMessage.Assistant("<think>\nLook it up.\n</think>\n\nCalling."), new ChatMessage("tool", "{\"temp\": \"20\u00b0C\"\n}"), ChatMessage.Assistant("It is 20°C.")];
        yield return [];
    }
}
