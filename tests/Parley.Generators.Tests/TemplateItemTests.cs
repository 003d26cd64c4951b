using System.Collections.Immutable;
using System.Reflection;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Parley.Generators.Tests;

/// <summary>
/// The MSBuild route (<c>&lt;ParleyChatTemplate Include="…" ClassName="…" /&gt;</c>) and the language-version gate, driven
/// in memory with the metadata Parley's buildTransitive targets make visible to the compiler.
/// </summary>
public class TemplateItemTests
{
    private const string Config = """
        {
          "bos_token": {"content": "<s>", "lstrip": false},
          "eos_token": "</s>",
          "chat_template": "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
        }
        """;

    [Test]
    public void TokenizerConfigItem_GeneratesTheClass_WithTheFilesTokens()
    {
        Type template = CompileAndLoad([Item("/repo/models/phi/tokenizer_config.json", Config, ("ClassName", "MyApp.Models.ChatTemplate"))], "MyApp.Models.ChatTemplate");

        Assert.That(Format(template, [ChatMessage.User("Hi"), ChatMessage.Assistant("Hello")], addGenerationPrompt: false),
            Is.EqualTo("<s><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n"));
        var info = (TemplateInfo)template.GetProperty("Info")!.GetValue(null)!;
        Assert.That((info.Kind, info.Bos, info.Eos), Is.EqualTo((TemplateKind.Jinja, "<s>", "</s>")));
        Assert.That(template.IsPublic, Is.False, "internal unless Visibility=\"public\"");
    }

    [Test]
    public void ItemMetadata_PicksANamedTemplate_OverridesTokens_AndMakesThePublicClass()
    {
        const string named = """
            {"eos_token": "</s>", "chat_template": [
              {"name": "default", "template": "{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"},
              {"name": "tool_use", "template": "[tools]{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"}]}
            """;
        Type template = CompileAndLoad(
            [Item("/repo/cfg/tokenizer_config.json", named, ("ClassName", "Tools"), ("TemplateName", "tool_use"), ("Eos", "<|eot|>"), ("Visibility", "public"))],
            "Tools");

        Assert.That(Format(template, [ChatMessage.User("a"), ChatMessage.Assistant("b")], false), Is.EqualTo("[tools]ab<|eot|>"));
        Assert.That(template.IsPublic, Is.True);
    }

    [Test]
    public void JinjaFileItem_WithInputs_IsTheTemplate()
    {
        const string jinja = "{% for m in messages %}{{ m.content }}{% endfor %}{% if enable_thinking %}<think>{% endif %}";
        var (result, output) = Run([Item("/repo/t/chat.jinja", jinja, ("ClassName", "App.Thinking"), ("Inputs", "enable_thinking; other"))]);
        Assert.That(result.Diagnostics, Is.Empty, "declared inputs are not PARLEY022");
        Assert.That(result.GeneratedSources.Select(s => s.HintName), Is.EqualTo(new[] { "App.Thinking.g.cs" }));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
    }

    [Test]
    public void JinjaErrorInsideAJsonString_PointsAtTheCharactersInTheFile()
    {
        // The template is on line 3 of the file; the bad filter sits after an escaped newline and an escaped quote.
        const string config = "{\n  \"eos_token\": \"</s>\",\n  \"chat_template\": \"{% for m in messages %}\\n{{ m.content | replace(\\\"a\\\", 'b') | bogus }}{% endfor %}\"\n}\n";
        var (result, _) = Run([Item("/repo/bad/tokenizer_config.json", config, ("ClassName", "Bad"))]);

        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That(diagnostic.Id, Is.EqualTo("PARLEY017"));
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        int column = config.Split('\n')[2].IndexOf("bogus", StringComparison.Ordinal);
        Assert.That((span.Path, span.StartLinePosition.Line, span.StartLinePosition.Character), Is.EqualTo(("/repo/bad/tokenizer_config.json", 2, column)));
        Assert.That(config.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length), Is.EqualTo("bogus"));
        Assert.That(result.GeneratedSources, Is.Empty);
    }

    [TestCase(null, "set ClassName to the class to generate")]
    [TestCase("My App.Template", "ClassName 'My App.Template' is not a valid C# type name")]
    [TestCase("MyApp.class", "ClassName 'MyApp.class' is not a valid C# type name")]
    public void ItemWithoutAUsableClassName_IsPARLEY024AtTheFile(string? className, string expected)
    {
        (string, string)[] metadata = className is null ? [] : [("ClassName", className)];
        var (result, _) = Run([Item("/repo/x/tokenizer_config.json", Config, metadata)]);

        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That((diagnostic.Id, diagnostic.Severity), Is.EqualTo(("PARLEY024", DiagnosticSeverity.Error)));
        Assert.That(diagnostic.GetMessage(), Does.StartWith("<ParleyChatTemplate Include=\"tokenizer_config.json\">: " + expected));
        Assert.That(diagnostic.Location.GetLineSpan().Path, Is.EqualTo("/repo/x/tokenizer_config.json"));
        Assert.That(result.GeneratedSources, Is.Empty);
    }

    [Test]
    public void TwoItemsClaimingOneClass_TheSecondIsReported()
    {
        var (result, output) = Run([
            Item("/repo/a/tokenizer_config.json", Config, ("ClassName", "App.Same")),
            Item("/repo/b/tokenizer_config.json", Config, ("ClassName", "App.Same")),
        ]);
        Assert.That(result.Diagnostics.Select(d => (d.Id, d.GetMessage())), Is.EqualTo(new[]
        {
            ("PARLEY024", "<ParleyChatTemplate Include=\"tokenizer_config.json\">: another <ParleyChatTemplate> item already generates class 'App.Same': give each item its own ClassName"),
        }));
        Assert.That(result.Diagnostics.Single().Location.GetLineSpan().Path, Is.EqualTo("/repo/b/tokenizer_config.json"));
        Assert.That(result.GeneratedSources, Has.Length.EqualTo(1));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
    }

    [Test]
    public void AdditionalFilesThatAreNotItems_AreIgnored()
    {
        var (result, _) = Run([new InMemoryAdditionalText("/repo/other/tokenizer_config.json", Config, ImmutableDictionary<string, string>.Empty)]);
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.GeneratedSources, Is.Empty);
    }

    private const string EveryKind = """
        using Parley;
        namespace Models;

        [ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>")]
        [Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
        [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
        [ConversationEnd("{eos}")]
        [InstructionMarker("<|user|>", TokenIds = new[] { 32010 }), ResponseMarker("<|assistant|>", TokenIds = new[] { 32001 })]
        public static partial class Structured { }

        [PromptCompletionTemplate("{prompt} ##> {completion}{eos}", Eos = "</s>")]
        public static partial class PromptCompletion { }

        [JinjaChatTemplate("{% for m in messages %}{{ m.role }}: {{ m.content | trim }}{% endfor %}{{ eos_token }}", Eos = "</s>")]
        public static partial class Jinja { }
        """;

    [Test]
    public void BelowTheMinimumLanguageVersion_OneDiagnostic_AndNoGeneratedCode()
    {
        var options = new CSharpParseOptions(LanguageVersion.CSharp10);
        var (result, output) = Run([Item("/repo/x/tokenizer_config.json", Config, ("ClassName", "App.FromItem"))], options, EveryKind);

        Diagnostic diagnostic = result.Diagnostics.Single();
        Assert.That((diagnostic.Id, diagnostic.Severity), Is.EqualTo(("PARLEY023", DiagnosticSeverity.Error)));
        Assert.That(diagnostic.GetMessage(), Is.EqualTo(
            "Parley's generated template code needs C# 11.0 or later, but this project compiles with C# 10.0: set <LangVersion>11.0</LangVersion> or later in the project file (or remove LangVersion to use the default of net10.0). No template code was generated."));
        Assert.That(result.GeneratedSources, Is.Empty);
        Assert.That(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.Contains(".g.cs") == true), Is.Empty);
    }

    [Test]
    public void AtTheMinimumLanguageVersion_EveryKindOfTemplateCompilesCleanly()
    {
        var options = new CSharpParseOptions(LanguageVersion.CSharp11);
        var (result, output) = Run([Item("/repo/x/tokenizer_config.json", Config, ("ClassName", "App.FromItem"))], options, EveryKind);

        Assert.That(result.Diagnostics, Is.Empty, string.Join("\n", result.Diagnostics));
        Assert.That(result.GeneratedSources, Has.Length.EqualTo(4));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, string.Join("\n", GeneratorHarness.CompilerProblems(output)));
    }

    [Test]
    public void WithoutAnyTemplate_ALowLanguageVersionIsNotReported()
    {
        var (result, _) = Run([], new CSharpParseOptions(LanguageVersion.CSharp7_3), "class Plain { }");
        Assert.That(result.Diagnostics, Is.Empty);
    }

    [Test]
    public void UnrelatedCSharpEdit_LeavesTheItemStepCached_AndAFileEditReparsesOnlyThatItem()
    {
        InMemoryAdditionalText[] files =
        [
            Item("/repo/a/tokenizer_config.json", Config, ("ClassName", "App.A")),
            Item("/repo/b/tokenizer_config.json", Config, ("ClassName", "App.B")),
        ];
        Compilation compilation = GeneratorHarness.CreateCompilation("namespace Models; public static class Helpers { public static int Answer() => 42; }");
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
                [new ChatTemplateGenerator().AsSourceGenerator()], [.. files], GeneratorHarness.ParseOptions, new OptionsProvider(files),
                new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true))
            .RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees.Single();
        Compilation edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(tree.ToString().Replace("42", "43"), GeneratorHarness.ParseOptions, path: tree.FilePath));
        GeneratorRunResult unrelated = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.That(Reasons(unrelated, ChatTemplateGenerator.TrackingNames.TemplateItems), Is.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged));

        var changed = Item("/repo/b/tokenizer_config.json", Config.Replace("</s>", "<|eot|>"), ("ClassName", "App.B"));
        GeneratorRunResult fileEdit = driver.ReplaceAdditionalText(files[1], changed).RunGenerators(edited).GetRunResult().Results.Single();
        Assert.That(Reasons(fileEdit, ChatTemplateGenerator.TrackingNames.TemplateItems).Count(r => r == IncrementalStepRunReason.Modified), Is.EqualTo(1));
        Assert.That(fileEdit.GeneratedSources.Single(s => s.HintName == "App.B.g.cs").SourceText.ToString(), Does.Contain("eos: \"<|eot|>\""));
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static InMemoryAdditionalText Item(string path, string text, params (string Name, string Value)[] metadata)
    {
        ImmutableDictionary<string, string> options = ImmutableDictionary<string, string>.Empty
            .Add("build_metadata.AdditionalFiles.ParleyChatTemplate", "true")
            .AddRange(metadata.Select(m => KeyValuePair.Create("build_metadata.AdditionalFiles." + m.Name, m.Value)));
        return new InMemoryAdditionalText(path, text, options);
    }

    private static (GeneratorRunResult Result, Compilation Output) Run(InMemoryAdditionalText[] files, CSharpParseOptions? parseOptions = null, string source = "namespace Empty;")
    {
        parseOptions ??= GeneratorHarness.ParseOptions;
        CSharpCompilation compilation = CSharpCompilation.Create(
            "ItemTests",
            [CSharpSyntaxTree.ParseText(source, parseOptions, path: "Source0.cs")],
            [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(ChatTemplateAttribute).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
                [new ChatTemplateGenerator().AsSourceGenerator()],
                [.. files],
                parseOptions,
                new OptionsProvider(files))
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    private static Type CompileAndLoad(InMemoryAdditionalText[] files, string typeName)
    {
        var (result, output) = Run(files);
        Assert.That(result.Diagnostics, Is.Empty, string.Join("\n", result.Diagnostics));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, string.Join("\n", GeneratorHarness.CompilerProblems(output)));
        using var stream = new MemoryStream();
        Assert.That(output.Emit(stream).Success, Is.True);
        return Assembly.Load(stream.ToArray()).GetType(typeName)!;
    }

    private static string Format(Type template, ChatMessage[] messages, bool addGenerationPrompt) =>
        ((IChatTemplate)template.GetProperty("Instance")!.GetValue(null)!).Format(messages, addGenerationPrompt);

    private sealed class InMemoryAdditionalText(string path, string text, ImmutableDictionary<string, string> options) : AdditionalText
    {
        public ImmutableDictionary<string, string> Options => options;

        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class OptionsProvider(InMemoryAdditionalText[] files) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions => DictionaryOptions.Empty;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => DictionaryOptions.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
            files.FirstOrDefault(f => f.Path == textFile.Path) is { } file ? new DictionaryOptions(file.Options) : DictionaryOptions.Empty;
    }

    private sealed class DictionaryOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly DictionaryOptions Empty = new(ImmutableDictionary<string, string>.Empty);

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
