using System.Text.Json;
using Parley.Jinja;

namespace Parley.Generators.Tests.Jinja;

/// <summary>
/// The shared Jinja fixtures, each case compiled through the generator and rendered: byte-identical to what Python
/// jinja2 renders in HF's environment, or raising where it raises. Cases that cannot pass yet are listed in
/// <see cref="KnownFailures"/> with the reason and reported as ignored; a listed case that passes fails the run
/// so the list stays honest.
/// </summary>
[NonParallelizable]
public class ConformanceTests
{
    /// <summary>Cases that do not pass yet, with why.</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownFailures = new Dictionary<string, string>
    {
    };

    public static IEnumerable<TestCaseData> SyntaxCases() =>
        CompiledCases.Syntax.SelectMany(c => Paths.Select(p => new TestCaseData(c, p).SetName(p + "_Syntax_" + c.Name)));

    public static IEnumerable<TestCaseData> EndToEndCases() =>
        CompiledCases.EndToEnd.SelectMany(c => Paths.Select(p => new TestCaseData(c, p).SetName(p + "_E2E_" + c.Name)));

    /// <summary>Each case runs through the generator's code and through the interpreter.</summary>
    private static readonly string[] Paths = ["Generated", "Interpreted"];

    [OneTimeSetUp]
    public void FreezeClock()
    {
        if (CompiledCases.FixturesRoot() is not { } root || !Directory.Exists(root))
        {
            Assert.Ignore("fixtures folder not found (set PARLEY_FIXTURES to the shared fixtures folder)");
        }

    }

    [TestCaseSource(nameof(SyntaxCases))]
    public void Syntax(JinjaCase c, string path) => Check(c, path);

    [TestCaseSource(nameof(EndToEndCases))]
    public void EndToEnd(JinjaCase c, string path) => Check(c, path);

    [Test]
    public void AllCasesArePresent()
    {
        Assert.That(CompiledCases.Syntax, Has.Count.EqualTo(157));
        Assert.That(CompiledCases.EndToEnd, Has.Count.EqualTo(57));
        Assert.That(CompiledCases.Get().GeneratedCodeWarnings, Is.Empty, "generated code compiles without warnings");
        TestContext.Out.WriteLine($"compiled {CompiledCases.Get().Renderers.Count} cases in {CompiledCases.Get().BuildTime.TotalSeconds:F1}s");
    }

    private static void Check(JinjaCase c, string path)
    {
        string? outcome = path == "Generated" ? Outcome(c) : InterpretedOutcome(c);
        if (KnownFailures.TryGetValue(c.Name, out string? reason))
        {
            if (outcome is null)
            {
                Assert.Fail($"'{c.Name}' now passes: remove it from KnownFailures");
            }

            Assert.Ignore($"known failure: {reason} ({outcome})");
        }

        if (outcome is not null)
        {
            Assert.Fail(outcome);
        }
    }

    /// <summary>Null when the interpreted case passes; otherwise what went wrong.</summary>
    private static string? InterpretedOutcome(JinjaCase c)
    {
        string? problem = CompiledCases.Interpreted(c, out JinjaTemplate? template);
        if (template is null) return c.ExpectError ? null : problem;
        return Compare(c, template.Render);
    }

    /// <summary>Null when the rendering matches the fixture (or raises where Python raised); otherwise what went wrong.</summary>
    internal static string? Compare(JinjaCase c, Func<JsonElement, string> render)
    {
        string actual;
        try
        {
            actual = render(c.Variables);
        }
        catch (TemplateException e)
        {
            return c.ExpectError ? null : "raised: " + e.Message;
        }
        catch (Exception e)
        {
            return "crashed: " + e;
        }

        if (c.ExpectError)
        {
            return "expected an error, rendered: " + actual;
        }

        return actual == c.Expected ? null : $"rendered differently.\nExpected: {JsonSerializer.Serialize(c.Expected)}\nActual:   {JsonSerializer.Serialize(actual)}";
    }

    /// <summary>Null when the case passes; otherwise what went wrong.</summary>
    private static string? Outcome(JinjaCase c)
    {
        string? problem = CompiledCases.Renderer(c, out Func<JsonElement, string>? render);
        if (render is null)
        {
            return c.ExpectError && problem is not null && problem.StartsWith("generator:", StringComparison.Ordinal) ? null : problem ?? "not compiled";
        }

        string actual;
        try
        {
            actual = render(c.Variables);
        }
        catch (TemplateException e)
        {
            return c.ExpectError ? null : "raised: " + e.Message;
        }
        catch (Exception e)
        {
            return "crashed: " + e;
        }

        if (c.ExpectError)
        {
            return "expected an error, rendered: " + actual;
        }

        return actual == c.Expected ? null : $"rendered differently.\nExpected: {JsonSerializer.Serialize(c.Expected)}\nActual:   {JsonSerializer.Serialize(actual)}";
    }

    [Test]
    public void SmolLM3_GenerationBlocks_AreTrainable_ThroughTryFormat()
    {
        JinjaCase c = CompiledCases.EndToEnd.Single(x => x.Name == "HuggingFaceTB/SmolLM3-3B");
        ChatMessage[] messages = c.Variables.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString())).ToArray();
        Assert.That(CompiledCases.Interpreted(c, out JinjaTemplate? interpreted), Is.Null);

        // The generated class formats with the real clock: its "Today Date" line is today's.
        string today = DateTime.Now.ToString("dd MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (template, expected) in new (IChatTemplate, string)[] { (CompiledCases.Get().Templates["e2e:" + c.Name], c.Expected!.Replace("10 July 2025", today)), (interpreted!, c.Expected!) })
        {
            var options = new FormatOptions { AddGenerationPrompt = true };
            char[] buffer = new char[template.GetMaxLength(messages, options)];
            var ranges = new TextRange[4];
            Assert.That(template.TryFormat(messages, buffer, out int written, options, ranges, out int count), Is.True);
            string text = new(buffer, 0, written);

            Assert.That(text, Is.EqualTo(expected), "Format over plain messages renders as Render does");
            Assert.That(count, Is.EqualTo(1));
            Assert.That(text[ranges[0].ToRange()], Does.StartWith("<|im_start|>assistant\n").And.EndWith("The capital of France is Paris.<|im_end|>\n"));
        }
    }
}
