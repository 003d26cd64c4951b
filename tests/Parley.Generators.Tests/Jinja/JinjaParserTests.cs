using Parley.Jinja;
using Parley.Jinja.Syntax;

namespace Parley.Generators.Tests.Jinja;

/// <summary>The front end alone: every fixture template parses, precedence and whitespace control follow jinja2.</summary>
public class JinjaParserTests
{
    [Test]
    public void EveryFixtureTemplate_Parses()
    {
        List<JinjaCase> cases = CompiledCases.Load();
        if (cases.Count == 0) Assert.Ignore("fixtures folder not found (set PARLEY_FIXTURES)");
        var failures = new List<string>();
        foreach (JinjaCase c in cases)
        {
            var problems = new List<JinjaProblem>();
            if (JinjaChecks.Check(c.Template, problems) is null || problems.Any(p => !p.IsWarning)) failures.Add(c.Name + ": " + string.Join("; ", problems));
        }

        Assert.That(failures, Is.Empty);
        Assert.That(cases, Has.Count.EqualTo(157 + 57));
    }

    [Test]
    public void RealTemplates_UndefinedNames_AreExactlyTheirExtraInputs()
    {
        List<JinjaCase> cases = CompiledCases.Load().Where(c => c.Suite == "e2e").ToList();
        if (cases.Count == 0) Assert.Ignore("fixtures folder not found (set PARLEY_FIXTURES)");
        var reported = new SortedSet<string>(StringComparer.Ordinal);
        foreach (JinjaCase c in cases)
        {
            var problems = new List<JinjaProblem>();
            JinjaChecks.Check(c.Template, problems);
            foreach (JinjaProblem p in problems.Where(p => p.IsWarning)) reported.Add(c.Name + ": " + p.Message.Split(' ')[0]);
        }

        // Each is a kwarg the model's template expects from apply_chat_template's caller, read without a guard.
        Assert.That(reported, Is.EqualTo(new[]
        {
            "CohereLabs/c4ai-command-a-03-2025: 'enable_citations'",
            "CohereLabs/command-a-reasoning-08-2025: 'response_format'",
            "HuggingFaceTB/SmolLM3-3B: 'python_tools'",
            "LiquidAI/LFM2.5-VL-450M: 'continue_final_message'",
            "Qwen/Qwen2.5-VL-7B-Instruct: 'add_vision_id'",
            "Qwen/Qwen3.5-4B: 'add_vision_id'",
            "ai21labs/AI21-Jamba-Large-1.6: 'generation_preamble'",
            "llama: 'USE_DEFAULT_PROMPT'",
            "meta-llama/Llama-Guard-3-11B-Vision: 'excluded_category_keys'",
        }));
    }

    [TestCase("{{ messages | length }}{% set n = 1 %}{{ n }}{% for m in messages %}{{ loop.index }}{% endfor %}", new string[0])]
    [TestCase("{{ mesages }}", new[] { "mesages@1:4" })]
    [TestCase("{% if enable_thinking is defined %}{{ enable_thinking }}{% endif %}", new string[0])]
    [TestCase("{{ flag | default(false) }}{{ flag }}", new string[0])]
    [TestCase("{% macro f(a, b=c) %}{{ a }}{{ caller() }}{% endmacro %}{{ f(1) }}", new[] { "c@1:17" })]
    [TestCase("{% set ns = namespace(x=0) %}{% set ns.x = y %}{{ ns.x }}", new[] { "y@1:44" })]
    [TestCase("{% for k, v in d.items() %}{{ k }}{{ v }}{{ d }}{% endfor %}", new[] { "d@1:16" })]
    public void UndefinedNames_ReportedOnceAtFirstUse(string template, string[] expected)
    {
        var problems = new List<JinjaProblem>();
        Assert.That(JinjaChecks.Check(template, problems), Is.Not.Null);
        Assert.That(problems.All(p => p.IsWarning && p.Kind == "undefined"), Is.True);
        Assert.That(problems.Select(p => $"{p.Message.Split('\'')[1]}@{p.Line}:{p.Column}"), Is.EqualTo(expected));
    }

    [Test]
    public void UndefinedNames_DeclaredInputsAreNotReported()
    {
        var problems = new List<JinjaProblem>();
        JinjaChecks.Check("{{ enable_thinking }}{{ other }}", problems, ["enable_thinking"]);
        Assert.That(problems.Single().Message, Does.StartWith("'other' is neither set by the template nor a standard input"));
    }

    [TestCase("{{ 1 + 2 * 3 }}", typeof(JBinary), "+")]
    [TestCase("{{ not a in b }}", typeof(JUnary), "not")]
    [TestCase("{{ a ~ b + c }}", typeof(JBinary), "+")]
    [TestCase("{{ -x | abs }}", typeof(JFilter), "abs")]
    [TestCase("{{ a if b else c or d }}", typeof(JCond), "")]
    public void Precedence_FollowsJinja2(string template, Type root, string op)
    {
        JExpr expr = ((JOutput)JinjaParser.Parse(template).Body[0]).Expr;
        Assert.That(expr, Is.InstanceOf(root));
        if (expr is JBinary b) Assert.That(b.Op, Is.EqualTo(op));
        if (expr is JUnary u) Assert.That(u.Op, Is.EqualTo(op));
        if (expr is JFilter f) Assert.That(f.Name, Is.EqualTo(op));
    }

    [TestCase("  {% if x %}\n  a\n  {% endif %}\nb", new[] { "  a\n", "b" })]
    [TestCase("a  {%- if x -%}  b  {%- endif %}", new[] { "a", "b" })]
    [TestCase("a {#- c -#} b\n", new[] { "a", "b" })]
    [TestCase("{% raw %}{{ x }}{% endraw %}", new[] { "{{ x }}" })]
    [TestCase("x\r\ny\n", new[] { "x\ny" })]
    public void Whitespace_FollowsJinja2Lexer(string template, string[] texts)
    {
        var data = JinjaLexer.Tokenize(template).Where(t => t.Kind == JinjaTokenKind.Data).Select(t => t.Value);
        Assert.That(data, Is.EqualTo(texts));
    }

    [Test]
    public void Errors_CarryLineAndColumn()
    {
        var e = Assert.Throws<JinjaSyntaxException>(() => JinjaParser.Parse("line one\n  {% for x in %}"));
        Assert.That((e!.Line, e.Column), Is.EqualTo((2, 15)));
    }
}

/// <summary>The run-time front end: the checks the CLI's <c>check</c> prints, and the interpreter.</summary>
public class JinjaRunTimeFrontEndTests
{
    [Test]
    public void IntegerOverflow_IsAnErrorNotAWrongNumber()
    {
        JinjaTemplate template = JinjaTemplate.Parse("{{ 2 ** 62 }}|{% if big %}{{ 9223372036854775807 + 1 }}{% endif %}{% if pow %}{{ 10 ** 20 }}{% endif %}");
        string Render(string vars)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(vars);
            try
            {
                return template.Render(doc.RootElement);
            }
            catch (TemplateException t)
            {
                return "error: " + t.Message;
            }
        }

        Assert.That(Render("{}"), Is.EqualTo("4611686018427387904|"));
        Assert.That(Render("""{"big": true}"""), Does.Contain("OverflowError: 9223372036854775807 + 1 does not fit in 64 bits"));
        Assert.That(Render("""{"pow": true}"""), Does.Contain("OverflowError: 10 ** 20 does not fit in 64 bits"));
    }

    [Test]
    public void Check_ReportsProblemsWithPositions()
    {
        List<JinjaProblem> Check(string text)
        {
            var problems = new List<JinjaProblem>();
            JinjaChecks.Check(text, problems);
            return problems;
        }

        Assert.That(Check("{{ x | nope }}\n{% if %}").Select(p => (p.Kind, p.Line, p.Column)), Is.EqualTo(new[] { ("syntax", 2, 7) }));
        Assert.That(Check("{{ x | nope }}").Select(p => p.Kind), Is.EqualTo(new[] { "filter", "undefined" }));
        var e = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("{{ x | nope }}"));
        Assert.That(e!.Message, Does.Contain("No filter named 'nope'"));
        Assert.That((e.Line, e.Column), Is.EqualTo((1, 8)));
    }
}
