using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Parley.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits leave every step Cached or Unchanged; a template edit re-emits it.</summary>
public class IncrementalTests
{
    private const string Unrelated = "namespace Models; public static class Helpers { public static int Answer() => 42; }";

    private static readonly string[] TemplateSteps =
    [
        ChatTemplateGenerator.TrackingNames.StructuredTemplates,
        ChatTemplateGenerator.TrackingNames.PromptCompletionTemplates,
        ChatTemplateGenerator.TrackingNames.CompilationFacts,
        ChatTemplateGenerator.TrackingNames.LanguageVersion,
    ];

    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation(TemplateSources.Phi3, TemplateSources.Yoda, Unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        return (driver, compilation);
    }

    private static Compilation ReplaceTree(Compilation compilation, int index, string source)
    {
        SyntaxTree old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: old.FilePath));
    }

    [Test]
    public void UnrelatedEdit_LeavesEveryStepCachedOrUnchanged()
    {
        var (driver, compilation) = FirstRun();
        Compilation edited = ReplaceTree(compilation, 2, Unrelated.Replace("42", "43"));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in TemplateSteps)
        {
            IEnumerable<IncrementalStepRunReason> reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);
            Assert.That(reasons, Is.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged), step);
        }

        IEnumerable<IncrementalStepRunReason> outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.That(outputs, Is.Not.Empty);
        Assert.That(outputs, Is.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged));
    }

    [Test]
    public void TemplateEdit_ModifiesOnlyThatTemplate()
    {
        var (driver, compilation) = FirstRun();
        Compilation edited = ReplaceTree(compilation, 0, TemplateSources.Phi3.Replace("<|endoftext|>", "</s>"));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var structured = result.TrackedSteps[ChatTemplateGenerator.TrackingNames.StructuredTemplates].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.That(structured, Is.EqualTo(new[] { IncrementalStepRunReason.Modified }));
        var promptCompletion = result.TrackedSteps[ChatTemplateGenerator.TrackingNames.PromptCompletionTemplates].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.That(promptCompletion, Is.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged));
        Assert.That(result.GeneratedSources.Single(s => s.HintName == "Models.Phi3Template.g.cs").SourceText.ToString(), Does.Contain("eos: \"</s>\""));
    }

    [Test]
    public void Model_HasNoSymbolsOrSyntax()
    {
        // Anything that pins a compilation in the model would defeat caching; the model must be plain data.
        var (driver, _) = FirstRun();
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (var output in result.TrackedSteps[ChatTemplateGenerator.TrackingNames.StructuredTemplates].SelectMany(s => s.Outputs))
        {
            AssertPlainData(output.Value, depth: 0);
        }
    }

    private static void AssertPlainData(object? value, int depth)
    {
        if (value is null || depth > 6 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Assert.That(value, Is.Not.InstanceOf<ISymbol>().And.Not.InstanceOf<SyntaxNode>().And.Not.InstanceOf<Compilation>().And.Not.InstanceOf<SyntaxTree>());
        if (value is System.Collections.IEnumerable sequence)
        {
            foreach (object? item in sequence)
            {
                AssertPlainData(item, depth + 1);
            }

            return;
        }

        foreach (var property in value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            if (property.PropertyType.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true
                && property.PropertyType != typeof(DiagnosticDescriptor)
                && property.PropertyType != typeof(Microsoft.CodeAnalysis.Text.TextSpan)
                && property.PropertyType != typeof(Microsoft.CodeAnalysis.Text.LinePositionSpan))
            {
                Assert.Fail($"{value.GetType().Name}.{property.Name} is a {property.PropertyType.Name}");
            }

            if (property.PropertyType != typeof(DiagnosticDescriptor))
            {
                AssertPlainData(property.GetValue(value), depth + 1);
            }
        }
    }

    private const string JinjaInline = """
        using Parley;
        namespace Models;
        [JinjaChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}", Eos = "</s>")]
        public static partial class InlineJinja;
        """;

    private const string JinjaFromFile = """
        using Parley;
        namespace Models;
        [JinjaChatTemplateFile("chat.jinja")]
        public static partial class FileJinja;
        """;

    [Test]
    public void Jinja_UnrelatedEdit_LeavesJinjaStepsCachedOrUnchanged()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation(JinjaInline, JinjaFromFile, Unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver()
            .AddAdditionalTexts([new Text("/p/chat.jinja", "{{ messages | length }}")])
            .RunGenerators(compilation);
        Assert.That(driver.GetRunResult().Results.Single().GeneratedSources, Has.Length.EqualTo(2));

        GeneratorRunResult result = driver.RunGenerators(ReplaceTree(compilation, 2, Unrelated.Replace("42", "43"))).GetRunResult().Results.Single();
        foreach (string step in new[] { ChatTemplateGenerator.TrackingNames.JinjaTemplates, ChatTemplateGenerator.TrackingNames.JinjaFileRequests, ChatTemplateGenerator.TrackingNames.JinjaFileTemplates })
        {
            IEnumerable<IncrementalStepRunReason> reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);
            Assert.That(reasons, Is.Not.Empty.And.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged), step);
        }
    }

    [Test]
    public void Jinja_FileEdit_ReEmitsTheFileTemplate()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation(JinjaFromFile);
        var original = new Text("/p/chat.jinja", "{{ messages | length }}");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().AddAdditionalTexts([original]).RunGenerators(compilation);
        driver = driver.ReplaceAdditionalText(original, new Text("/p/chat.jinja", "{{ messages | first }}")).RunGenerators(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.That(result.TrackedSteps[ChatTemplateGenerator.TrackingNames.JinjaFileTemplates].SelectMany(s => s.Outputs).Select(o => o.Reason),
            Is.EqualTo(new[] { IncrementalStepRunReason.Modified }));
        Assert.That(result.GeneratedSources.Single().SourceText.ToString(), Does.Contain("JinjaFilters.First"));
    }

    private sealed class Text(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) =>
            Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }
}
