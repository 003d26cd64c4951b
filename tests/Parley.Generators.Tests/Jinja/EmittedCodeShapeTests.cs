using Microsoft.CodeAnalysis.CSharp;

namespace Parley.Generators.Tests.Jinja;

/// <summary>What the emitted C# looks like where a reader of the generated file (or a profile of it) meets it.</summary>
public class EmittedCodeShapeTests
{
    private static string Generate(string template)
    {
        var (result, output) = GeneratorHarness.Run($$"""
            namespace Shapes;

            [global::Parley.JinjaChatTemplate({{SymbolDisplay.FormatLiteral(template, true)}})]
            public static partial class Template;
            """);
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, "generated code compiles without warnings");
        return result.GeneratedSources.Single().SourceText.ToString();
    }

    [Test]
    public void Constant_conditions_pick_their_branch_at_compile_time()
    {
        string source = Generate("{% if true %}a{% else %}b{% endif %}{% if false %}c{% elif messages %}d{% else %}e{% endif %}");
        Assert.That(source, Does.Not.Contain("if (true)").And.Not.Contain("if (false)"));
        Assert.That(source, Does.Not.Contain("\"b\"").And.Not.Contain("\"c\""), "dead branches are not emitted");
    }

    [Test]
    public void Statements_point_back_to_the_template()
    {
        string source = Generate("{% for message in messages %}\n{{ message['content'] }}{% endfor %}");
        // Both methods: the general one stores the position for limit errors, the typed one notes it.
        Assert.That(source, Does.Contain("// 1:4 {% for %}"));
        Assert.That(source, Does.Contain("(2L << 32) | 1; // 2:1 {{ ... }}"));
        Assert.That(source, Does.Contain("// 2:1 {{ ... }}\n"));
    }

    [Test]
    public void A_template_outside_the_typed_subset_says_why_in_the_generated_file()
    {
        string source = Generate("{% macro m() %}x{% endmacro %}{{ m() }}");
        Assert.That(source, Does.Contain("// Plain conversations format through __Render: typed code does not cover {% macro %} (1:4)."));
        Assert.That(source, Does.Not.Contain("__Format("));
    }
}
