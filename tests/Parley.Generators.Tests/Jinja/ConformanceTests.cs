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
        CompiledCases.Syntax.Select(c => new TestCaseData(c).SetName("Syntax_" + c.Name));

    public static IEnumerable<TestCaseData> EndToEndCases() =>
        CompiledCases.EndToEnd.Select(c => new TestCaseData(c).SetName("E2E_" + c.Name));

    [OneTimeSetUp]
    public void FreezeClock()
    {
        if (CompiledCases.FixturesRoot() is not { } root || !Directory.Exists(root))
        {
            Assert.Ignore("fixtures folder not found (set PARLEY_FIXTURES to the shared fixtures folder)");
        }

        JinjaRuntime.Now = () => new DateTime(2025, 7, 10, 12, 0, 0);
    }

    [TestCaseSource(nameof(SyntaxCases))]
    public void Syntax(JinjaCase c) => Check(c);

    [TestCaseSource(nameof(EndToEndCases))]
    public void EndToEnd(JinjaCase c) => Check(c);

    [Test]
    public void AllCasesArePresent()
    {
        Assert.That(CompiledCases.Syntax, Has.Count.EqualTo(157));
        Assert.That(CompiledCases.EndToEnd, Has.Count.EqualTo(57));
        Assert.That(CompiledCases.Get().GeneratedCodeWarnings, Is.Empty, "generated code compiles without warnings");
        TestContext.Out.WriteLine($"compiled {CompiledCases.Get().Renderers.Count} cases in {CompiledCases.Get().BuildTime.TotalSeconds:F1}s");
    }

    private static void Check(JinjaCase c)
    {
        string? outcome = Outcome(c);
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
        IChatTemplate template = CompiledCases.Get().Templates["e2e:" + c.Name];
        ChatMessage[] messages = c.Variables.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString())).ToArray();

        var options = new FormatOptions { AddGenerationPrompt = true };
        char[] buffer = new char[template.GetMaxLength(messages, options)];
        var ranges = new TextRange[4];
        Assert.That(template.TryFormat(messages, buffer, out int written, options, ranges, out int count), Is.True);
        string text = new(buffer, 0, written);

        Assert.That(text, Is.EqualTo(c.Expected), "Format over plain messages renders as Render does");
        Assert.That(count, Is.EqualTo(1));
        Assert.That(text[ranges[0].ToRange()], Does.StartWith("<|im_start|>assistant\n").And.EndWith("The capital of France is Paris.<|im_end|>\n"));
    }
}
