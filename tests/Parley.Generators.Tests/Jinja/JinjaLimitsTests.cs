using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Jinja;

namespace Parley.Generators.Tests.Jinja;

/// <summary>
/// Runaway templates end in one <see cref="TemplateException"/> naming the limit and the template position, quickly and
/// without allocating gigabytes, through the generated code and through the interpreter alike.
/// </summary>
[NonParallelizable]
public class JinjaLimitsTests
{
    public static IEnumerable<TestCaseData> DenialOfService()
    {
        yield return new TestCaseData("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "MaxDepth", 1, 17).SetName("RecursiveMacro");
        yield return new TestCaseData("{{ 'a' * 1000000000 }}", "MaxSequenceLength", 1, 1).SetName("StringTimesBillion");
        yield return new TestCaseData("{{ [1] * 1000000000 }}", "MaxSequenceLength", 1, 1).SetName("ListTimesBillion");
        yield return new TestCaseData("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", "MaxIterations", 1, 31).SetName("HundredMillionIterations");
        yield return new TestCaseData("{% for i in range(100000000) %}{% endfor %}", "MaxSequenceLength", 1, 4).SetName("RangeOfHundredMillion");
        yield return new TestCaseData("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "MaxSequenceLength", 1, 60).SetName("DoublingString");
        yield return new TestCaseData("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "MaxOutputLength", 1, 29).SetName("HugeOutput");
    }

    [TestCaseSource(nameof(DenialOfService))]
    public void Interpreted_EndsInOneTemplateException(string template, string limit, int line, int column) =>
        AssertLimit(JinjaTemplate.Parse(template).Render, limit, line, column);

    [TestCaseSource(nameof(DenialOfService))]
    public void Generated_EndsInOneTemplateException(string template, string limit, int line, int column) =>
        AssertLimit(Generate(template), limit, line, column);

    [Test]
    public void FiveThousandNestedParentheses_AreAnErrorAtTheirPosition()
    {
        string template = "{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}";
        var e = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(template))!;
        Assert.That(e.Limit, Is.EqualTo("MaxNesting"));
        Assert.That((e.Line, e.Column), Is.EqualTo((1, 3 + 128)));
        Assert.That(e.Message, Does.Contain("MaxNesting"));

        // The generator reports it as a template error (PARLEY016) instead of crashing the compiler.
        var (result, _) = GeneratorHarness.Run($$"""
            [global::Parley.JinjaChatTemplate({{SymbolDisplay.FormatLiteral(template, true)}})]
            public static partial class Deep;
            """);
        Assert.That(result.Diagnostics.Select(d => d.Id), Does.Contain("PARLEY016"));
        Assert.That(result.Diagnostics.Single(d => d.Id == "PARLEY016").GetMessage(), Does.Contain("nests more than 128 levels"));
    }

    [Test]
    public void DeeplyNestedStatements_AreAnError()
    {
        string template = string.Concat(Enumerable.Repeat("{% if true %}", 5000)) + string.Concat(Enumerable.Repeat("{% endif %}", 5000));
        Assert.That(Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(template))!.Limit, Is.EqualTo("MaxNesting"));
    }

    [Test]
    public void Limits_AreSettable()
    {
        var tight = new JinjaTemplateOptions { Render = new JinjaRenderOptions { Limits = JinjaLimits.Default with { MaxOutputLength = 10, MaxIterations = 3 } } };
        using var vars = JsonDocument.Parse("{}");
        Assert.That(JinjaTemplate.Parse("{{ 'x' * 10 }}", tight).Render(vars.RootElement), Is.EqualTo("xxxxxxxxxx"));
        Assert.That(Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("{{ 'x' * 11 }}", tight).Render(vars.RootElement))!.Limit, Is.EqualTo("MaxOutputLength"));
        Assert.That(JinjaTemplate.Parse("{% for i in range(3) %}{{ i }}{% endfor %}", tight).Render(vars.RootElement), Is.EqualTo("012"));
        Assert.That(Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("{% for i in range(4) %}{{ i }}{% endfor %}", tight).Render(vars.RootElement))!.Limit, Is.EqualTo("MaxIterations"));

        // Python's own recursion runs out near here; the default leaves room for every template that works there.
        string recursion = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}.{% endmacro %}{{ f(150) }}";
        Assert.That(JinjaTemplate.Parse(recursion).Render(vars.RootElement), Has.Length.EqualTo(151));
        Assert.That(Generate(recursion)(vars.RootElement), Has.Length.EqualTo(151));
    }

    [Test]
    public void Recursion_OnASmallStack_IsAnErrorNotACrash()
    {
        // 256 KiB: the depth limit alone would not save this thread; the stack probe does.
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var vars = JsonDocument.Parse("{}");
                var deep = new JinjaTemplateOptions { Render = new JinjaRenderOptions { Limits = JinjaLimits.Default with { MaxDepth = 100_000 } } };
                JinjaTemplate.Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", deep).Render(vars.RootElement);
            }
            catch (Exception e)
            {
                caught = e;
            }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.That(caught, Is.TypeOf<TemplateException>());
        Assert.That(((TemplateException)caught!).Limit, Is.EqualTo("MaxDepth"));
    }

    private static void AssertLimit(Func<JsonElement, string> render, string limit, int line, int column)
    {
        using var vars = JsonDocument.Parse("{}");
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        // CPU time, not wall time: the bound is about the work done, whatever else the machine runs.
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var e = Assert.Throws<TemplateException>(() => render(vars.RootElement))!;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.That(e.Limit, Is.EqualTo(limit), e.Message);
        Assert.That(e.Message, Does.Contain("Template limit " + limit + " exceeded"));
        Assert.That((e.Line, e.Column), Is.EqualTo((line, column)), e.Message);
        Assert.That(e.Message, Does.Contain($"line {line}, column {column}"));
        Assert.That(cpu, Is.LessThan(TimeSpan.FromSeconds(1)));
        TestContext.Out.WriteLine($"{limit}: {cpu.TotalMilliseconds:F0} ms CPU, {allocated / 1024} KiB allocated");
        Assert.That(allocated, Is.LessThan(64L * 1024 * 1024), "bytes allocated");
    }

    private static Func<JsonElement, string> Generate(string template)
    {
        var (_, output) = GeneratorHarness.Run($$"""
            namespace Limits;

            [global::Parley.JinjaChatTemplate({{SymbolDisplay.FormatLiteral(template, true)}})]
            public static partial class Template;
            """);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.That(emitted.Success, Is.True, string.Join("\n", emitted.Diagnostics));
        MethodInfo render = Assembly.Load(stream.ToArray()).GetType("Limits.Template")!.GetMethod("Render", [typeof(JsonElement)])!;
        return render.CreateDelegate<Func<JsonElement, string>>();
    }
}
