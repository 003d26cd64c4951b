using System.Text.Json;
using Parley.Cli;
using Parley.Jinja;

namespace Parley.Runtime.Tests.Cli;

/// <summary>
/// The run-time compiled path (the CLI's <c>format</c>/<c>pack</c> with a template file): every Jinja fixture case
/// compiled in memory by Roslyn into a collectible load context and rendered — byte-identical to Python jinja2, or
/// raising where it raises — as the generated and interpreted paths are in Parley.Generators.Tests.
/// </summary>
[NonParallelizable]
public class CompiledJinjaConformanceTests
{
    private sealed record Case(string Name, string Template, JsonElement Variables, string? Expected, bool ExpectError);

    private sealed class FixedClock(DateTime local) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(DateTime.SpecifyKind(local, DateTimeKind.Utc));

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    private static List<Case> LoadCases()
    {
        var cases = new List<Case>();
        using (var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("jinja", "syntax-cases.json"))))
        {
            foreach (JsonElement c in doc.RootElement.EnumerateArray())
            {
                JsonElement expected = c.GetProperty("expected");
                cases.Add(new Case("syntax:" + c.GetProperty("name").GetString(), c.GetProperty("template").GetString()!, c.GetProperty("context").Clone(),
                    expected.ValueKind == JsonValueKind.String ? expected.GetString() : null, c.GetProperty("expect_error").GetBoolean()));
            }
        }

        using (var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("jinja", "e2e-cases.json"))))
        {
            foreach (JsonElement c in doc.RootElement.EnumerateArray())
            {
                cases.Add(new Case("e2e:" + c.GetProperty("name").GetString(), c.GetProperty("chat_template").GetString()!, c.GetProperty("data").Clone(),
                    c.GetProperty("target").GetString(), false));
            }
        }

        return cases;
    }

    [Test]
    public void EveryCase_CompiledAtRunTime_RendersAsJinja2()
    {
        List<Case> cases = LoadCases();
        Assert.That(cases, Has.Count.EqualTo(157 + 57));
        var frozen = new JinjaRenderOptions { TimeProvider = new FixedClock(new DateTime(2025, 7, 10, 12, 0, 0)) };

        // Templates the front end refuses are errors in Python too; the rest compile together in one Roslyn run.
        var compilable = new List<Case>();
        var failures = new List<string>();
        foreach (Case c in cases)
        {
            if (Refused(c.Template))
            {
                if (!c.ExpectError) failures.Add(c.Name + ": refused by the front end");
                continue;
            }

            compilable.Add(c);
        }

        IReadOnlyList<JinjaTemplate> templates = CompiledJinjaTemplates.CompileAll(compilable.Select(c => (c.Template, new JinjaTemplateOptions { Name = c.Name, Render = frozen })).ToList());
        for (int i = 0; i < compilable.Count; i++)
        {
            Case c = compilable[i];
            try
            {
                string actual = templates[i].Render(c.Variables);
                if (c.ExpectError) failures.Add(c.Name + ": expected an error, rendered " + JsonSerializer.Serialize(actual));
                else if (actual != c.Expected) failures.Add(c.Name + ": rendered " + JsonSerializer.Serialize(actual) + ", expected " + JsonSerializer.Serialize(c.Expected));
            }
            catch (TemplateException e)
            {
                if (!c.ExpectError) failures.Add(c.Name + ": raised " + e.Message);
            }
        }

        Assert.That(failures, Is.Empty);
        Assert.That(compilable, Has.Count.GreaterThan(200));
    }

    private static bool Refused(string template)
    {
        try
        {
            JinjaTemplate.Parse(template);
            return false;
        }
        catch (TemplateException)
        {
            return true;
        }
    }

    [Test]
    public void CompiledTemplate_IsCachedInProcess_AndEnforcesLimits()
    {
        var options = new JinjaTemplateOptions { Name = "recursive" };
        const string source = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{% if deep %}{{ f(0) }}{% endif %}{{ bos_token }}ok";
        JinjaTemplate first = CompiledJinjaTemplates.Compile(source, options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JinjaTemplate second = CompiledJinjaTemplates.Compile(source, options with { Bos = "<s>" });
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(0.5)), "the second compile of one template is a cache hit");

        using var plain = JsonDocument.Parse("{}");
        Assert.That(first.Render(plain.RootElement), Is.EqualTo("ok"));
        Assert.That(second.Render(plain.RootElement), Is.EqualTo("<s>ok"));
        using var deep = JsonDocument.Parse("""{"deep": true}""");
        var e = Assert.Throws<TemplateException>(() => first.Render(deep.RootElement))!;
        Assert.That(e.Limit, Is.EqualTo("MaxDepth"));
        Assert.That((e.Line, e.Column), Is.EqualTo((1, 17)));
    }
}
