using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Parley.Generators.Tests.Jinja;

/// <summary>Diagnostics inside the attribute string, the golden output of one Jinja template, and template files.</summary>
public class JinjaGeneratorTests
{
    private const string Header = "using Parley;\nnamespace Models;\n";

    public static IEnumerable<TestCaseData> BadTemplates()
    {
        TestCaseData Case(string id, string source, string because) => new TestCaseData(id, source).SetName($"{id}_{because}");

        yield return Case("PARLEY016", """
            [JinjaChatTemplate("{% for m in messages %}{{ m.content }}{% [|endif|] %}")]
            public static partial class WrongEnd;
            """, "WrongEndTag");
        yield return Case("PARLEY016", """
            [JinjaChatTemplate("{{ m.content [|}|]")]
            public static partial class Unclosed;
            """, "UnexpectedBrace");
        yield return Case("PARLEY017", """
            [JinjaChatTemplate(@"{% for m in messages %}{{ m.content | [|frobnicate|] }}{% endfor %}")]
            public static partial class UnknownFilter;
            """, "UnknownFilter");
        yield return Case("PARLEY017", """
            [JinjaChatTemplate("{% if messages is [|shiny|] %}x{% endif %}")]
            public static partial class UnknownTest;
            """, "UnknownTest");
        yield return Case("PARLEY018", """
            [JinjaChatTemplate("{% [|include|] 'header.jinja' %}")]
            public static partial class Include;
            """, "Include");
        yield return Case("PARLEY019", """
            [JinjaChatTemplateFile([|"models/missing/tokenizer_config.json"|])]
            public static partial class MissingFile;
            """, "FileNotInAdditionalFiles");
        yield return Case("PARLEY001", """
            [JinjaChatTemplate("{{ 'x' }}")]
            public partial class [|NotStatic|];
            """, "NotStatic");
    }

    [TestCaseSource(nameof(BadTemplates))]
    public void Diagnostic_FiresInsideTheAttributeString(string id, string markedSource)
    {
        (string source, TextSpan expected) = Unmark(Header + markedSource);
        var (result, _) = GeneratorHarness.Run(source);

        Assert.That(result.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { id }), string.Join("\n", result.Diagnostics));
        Diagnostic diagnostic = result.Diagnostics[0];
        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(diagnostic.Location.SourceSpan, Is.EqualTo(expected),
            $"expected '{source.Substring(expected.Start, expected.Length)}', got '{source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length)}'");
        Assert.That(result.GeneratedSources, Is.Empty, "an invalid template emits nothing");
    }

    [Test]
    public void SyntaxError_NamesTheTemplateLineAndColumn_InARawLiteral()
    {
        (string source, TextSpan expected) = Unmark(Header + """"
            [JinjaChatTemplate("""
                {% for m in messages %}
                {{ m.content | [|frobnicate|] }}
                {% endfor %}
                """)]
            public static partial class Multiline;
            """");
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That(diagnostic.Id, Is.EqualTo("PARLEY017"));
        Assert.That(diagnostic.GetMessage(), Does.StartWith("Jinja template of 'Multiline', line 2, column 16: No filter named 'frobnicate'"));
        Assert.That(diagnostic.Location.SourceSpan, Is.EqualTo(expected));
    }

    [Test]
    public void SyntaxError_InAnEscapedRegularString_MapsThroughEscapes()
    {
        (string source, TextSpan expected) = Unmark(Header + """
            [JinjaChatTemplate("{{ '\n\t' }}\n{{ x | [|nope|] }}", Inputs = ["x"])]
            public static partial class Escaped;
            """);
        var (result, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That(diagnostic.GetMessage(), Does.Contain("line 3, column 8"));
        Assert.That(diagnostic.Location.SourceSpan, Is.EqualTo(expected));
    }

    private const string GoldenSource = """
        using Parley;

        namespace Models;

        [JinjaChatTemplate("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\n' + message['content'] + '<|end|>\n' }}{% elif message['role'] == 'assistant' %}{% generation %}{{ '<|assistant|>\n' + message['content'] | trim + '<|end|>\n' }}{% endgeneration %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}", Bos = "<s>", Eos = "<|endoftext|>")]
        public static partial class Phi3Jinja;
        """;

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(thisFile))!, "Golden");

    [Test]
    public void GeneratedSource_MatchesGoldenFile()
    {
        var (result, output) = GeneratorHarness.Run(GoldenSource);
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, "generated code compiles without warnings");
        string actual = result.GeneratedSources.Single().SourceText.ToString();
        string path = Path.Combine(GoldenDirectory(), "Phi3Jinja.g.cs");
        if (Environment.GetEnvironmentVariable("PARLEY_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            Assert.Warn($"Golden file rewritten: {path}");
        }

        Assert.That(File.Exists(path), Is.True, $"missing golden file {path}; run with PARLEY_UPDATE_GOLDEN=1 to create it");
        Assert.That(actual, Is.EqualTo(File.ReadAllText(path)));
    }

    [Test]
    public void GenerationBlocks_AreTheTrainableRanges()
    {
        Type template = CompileAndLoad(GoldenSource, [], "Models.Phi3Jinja");
        ChatMessage[] chat = [ChatMessage.User("Hi"), ChatMessage.Assistant("Hello! "), ChatMessage.User("Bye"), ChatMessage.Assistant("Ciao")];
        var (text, ranges) = TryFormat(template, chat, FormatOptions.Default);

        Assert.That(text, Is.EqualTo("<s><|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\nCiao<|end|>\n<|endoftext|>"));
        Assert.That(ranges.Select(r => text[r.ToRange()]), Is.EqualTo(new[] { "<|assistant|>\nHello!<|end|>\n", "<|assistant|>\nCiao<|end|>\n" }));
    }

    [Test]
    public void WithoutGenerationBlocks_AssistantContentAndItsTurnEndAreTrainable()
    {
        Type template = CompileAndLoad(Header + """
            [JinjaChatTemplate("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}", Eos = "<|im_end|>")]
            public static partial class ChatMLJinja;
            """, [], "Models.ChatMLJinja");
        ChatMessage[] chat = [ChatMessage.User("Say hi"), ChatMessage.Assistant("hi")];
        var (text, ranges) = TryFormat(template, chat, FormatOptions.Default);
        Assert.That(text, Is.EqualTo("<|im_start|>user\nSay hi<|im_end|>\n<|im_start|>assistant\nhi<|im_end|>\n"));
        Assert.That(ranges.Select(r => text[r.ToRange()]), Is.EqualTo(new[] { "hi<|im_end|>" }), "the answer and the token that ends its turn");
        Assert.That(ranges[0].Start, Is.EqualTo(text.IndexOf("\nhi", StringComparison.Ordinal) + 1), "the assistant's content, not the user's 'Say hi'");

        var (prompt, _) = TryFormat(template, chat[..1], FormatOptions.GenerationPrompt);
        Assert.That(prompt, Does.EndWith("<|im_start|>assistant\n"));
    }

    [Test]
    public void WithoutGenerationBlocks_TextOtherThanATurnEndAfterTheAnswerIsNotTrained()
    {
        Type template = CompileAndLoad(Header + """
            [JinjaChatTemplate("{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}", Eos = "</s>")]
            public static partial class Plain;
            """, [], "Models.Plain");
        var (text, ranges) = TryFormat(template, [ChatMessage.User("Q"), ChatMessage.Assistant("A"), ChatMessage.User("</s>")], FormatOptions.Default);
        Assert.That(text, Is.EqualTo("[user] Q\n[assistant] A\n[user] </s>\n"));
        Assert.That(ranges.Select(r => text[r.ToRange()]), Is.EqualTo(new[] { "A" }), "a newline does not end a turn, and the EOS further on is another message's");
    }

    [Test]
    public void Phi3TokenizerConfig_ThroughJinjaChatTemplateFile_ReproducesTransformers()
    {
        string configPath = Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct", "tokenizer_config.json");
        using var reference = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("reference", "expected_transformersjs_outputs.json")));
        ChatMessage[] messages = reference.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString())).ToArray();
        JsonElement phi3 = reference.RootElement.GetProperty("models").GetProperty("phi-3");

        var file = new InMemoryAdditionalText("/models/phi-3-mini-4k-instruct/tokenizer_config.json", File.ReadAllText(configPath));
        Type template = CompileAndLoad(Header + """
            [JinjaChatTemplateFile("phi-3-mini-4k-instruct/tokenizer_config.json")]
            public static partial class Phi3FromConfig;
            """, [file], "Models.Phi3FromConfig");

        string text = Format(template, messages, addGenerationPrompt: false);
        Assert.That(text, Is.EqualTo(phi3.GetProperty("chat_text").GetString()));
        Assert.That(Format(template, messages[..2], addGenerationPrompt: true), Is.EqualTo(phi3.GetProperty("gen_prompt_text").GetString()));

        var info = (TemplateInfo)template.GetProperty("Info")!.GetValue(null)!;
        Assert.That((info.Kind, info.Bos, info.Eos), Is.EqualTo((TemplateKind.Jinja, "<s>", "<|endoftext|>")));
    }

    [Test]
    public void TemplateFile_ListOfNamedTemplates_AndTokenObjects()
    {
        const string config = """
            {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
             "chat_template": [{"name": "default", "template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"},
                               {"name": "tool_use", "template": "tools"}]}
            """;
        Type template = CompileAndLoad(Header + """
            [JinjaChatTemplateFile("cfg/tokenizer_config.json")]
            public static partial class Named;
            """, [new InMemoryAdditionalText("/x/cfg/tokenizer_config.json", config)], "Models.Named");
        Assert.That(Format(template, [ChatMessage.User("a"), ChatMessage.Assistant("b")], false), Is.EqualTo("<s>ab</s>"));
    }

    [Test]
    public void UndefinedName_IsAWarningAtItsFirstUse_AndTheClassIsStillEmitted()
    {
        (string source, TextSpan expected) = Unmark(Header + """
            [JinjaChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}{% if [|enable_thinking|] %}<think>{% endif %}{{ enable_thinking }}")]
            public static partial class Thinking;
            """);
        var (result, output) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That((diagnostic.Id, diagnostic.Severity), Is.EqualTo(("PARLEY022", DiagnosticSeverity.Warning)));
        Assert.That(diagnostic.GetMessage(), Does.StartWith("Jinja template of 'Thinking', line 1, column 57: 'enable_thinking' is neither set by the template nor a standard input"));
        Assert.That(diagnostic.Location.SourceSpan, Is.EqualTo(expected));
        Assert.That(result.GeneratedSources, Has.Length.EqualTo(1));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);

        var (declared, _) = GeneratorHarness.Run(source.Replace("<think>{% endif %}{{ enable_thinking }}\")]", "<think>{% endif %}{{ enable_thinking }}\", Inputs = [\"enable_thinking\"])]"));
        Assert.That(declared.Diagnostics, Is.Empty, "a declared input is not reported");
    }

    [Test]
    public void JinjaFile_IsTheTemplate_AndErrorsPointIntoIt()
    {
        var file = new InMemoryAdditionalText("/t/chat.jinja", "{% for m in messages %}\n{{ m.content | bogus }}\n{% endfor %}\n");
        var (result, _) = Run(Header + "[JinjaChatTemplateFile(\"chat.jinja\")] public static partial class FromJinja;", [file]);
        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That(diagnostic.Id, Is.EqualTo("PARLEY017"));
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        Assert.That((span.Path, span.StartLinePosition.Line, span.StartLinePosition.Character), Is.EqualTo(("/t/chat.jinja", 1, 15)));
    }

    [TestCase("{")]
    [TestCase("[")]
    [TestCase("{\"chat_template\": \"\\u00")]
    [TestCase("{\"chat_template\": tru}")]
    [TestCase("{\"chat_template\": 5}")]
    public void BrokenTokenizerConfig_IsParley020_NotACrash(string json)
    {
        var file = new InMemoryAdditionalText("/m/tokenizer_config.json", json);
        var (result, _) = Run(Header + "[JinjaChatTemplateFile(\"tokenizer_config.json\")] public static partial class Broken;", [file]);
        Assert.That(result.Exception, Is.Null);
        Assert.That(result.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { "PARLEY020" }), string.Join("; ", result.Diagnostics));
    }

    [Test]
    public void FloatLiteralsBeyondDouble_CompileAndRenderAsPython()
    {
        // jinja2 renders {{ 1e999 }} as "inf"; C# has no literal for infinity, so the emitter must not write "InfinityD".
        Type template = CompileAndLoad(Header + """
            [JinjaChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}|{{ 1e999 }}|{{ -1e999 }}|{{ 1.5e3 }}")]
            public static partial class Huge;
            """, [], "Models.Huge");
        Assert.That(Format(template, [ChatMessage.User("x")], false), Is.EqualTo("x|inf|-inf|1500.0"));
    }

    private static string Format(Type template, ChatMessage[] messages, bool addGenerationPrompt)
    {
        // A ReadOnlySpan cannot be passed through reflection: call through IChatTemplate.
        var instance = (IChatTemplate)template.GetProperty("Instance")!.GetValue(null)!;
        return instance.Format(messages, addGenerationPrompt);
    }

    private static (string Text, TextRange[] Ranges) TryFormat(Type template, ChatMessage[] messages, FormatOptions options)
    {
        var instance = (IChatTemplate)template.GetProperty("Instance")!.GetValue(null)!;
        char[] buffer = new char[instance.GetMaxLength(messages, options)];
        var ranges = new TextRange[8];
        Assert.That(instance.TryFormat(messages, buffer, out int written, options, ranges, out int count), Is.True);
        Assert.That(instance.TryFormat(messages, new char[written - 1], out _, options, ranges, out _), Is.False, "too small a buffer");
        return (new string(buffer, 0, written), ranges[..count]);
    }

    private static (GeneratorRunResult Result, Compilation Output) Run(string source, AdditionalText[] files)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver().AddAdditionalTexts([.. files])
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(source), out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    private static Type CompileAndLoad(string source, AdditionalText[] files, string typeName)
    {
        var (result, output) = Run(source, files);
        Assert.That(result.Diagnostics, Is.Empty, string.Join("\n", result.Diagnostics));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, string.Join("\n", GeneratorHarness.CompilerProblems(output)));
        using var stream = new MemoryStream();
        Assert.That(output.Emit(stream).Success, Is.True);
        return Assembly.Load(stream.ToArray()).GetType(typeName)!;
    }

    private static (string Source, TextSpan Span) Unmark(string marked)
    {
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", start, StringComparison.Ordinal);
        string source = marked.Remove(end, 2).Remove(start, 2);
        return (source, new TextSpan(start, end - start - 2));
    }

    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}
