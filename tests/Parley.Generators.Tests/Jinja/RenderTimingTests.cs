using System.Diagnostics;
using System.Text.Json;
using Parley.Jinja;

namespace Parley.Generators.Tests.Jinja;

/// <summary>Per-conversation render time of the compiled e2e templates (explicit: a measurement, not a check).</summary>
[Explicit("measurement; run with --filter RenderTimingTests")]
public class RenderTimingTests
{
    [Test]
    public void EndToEndTemplates_RenderTime()
    {
        var compiled = CompiledCases.Get();
        double total = 0;
        int count = 0;
        foreach (JinjaCase c in CompiledCases.EndToEnd)
        {
            var render = compiled.Renderers[CompiledCases.Key(c)];
            for (int i = 0; i < 200; i++) render(c.Variables);
            const int n = 2000;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) render(c.Variables);
            double us = sw.Elapsed.TotalMicroseconds / n;
            total += us;
            count++;
            TestContext.Out.WriteLine($"{us,9:F2} us  {c.Name}");
        }

        TestContext.Out.WriteLine($"mean {total / count:F2} us over {count} templates");
    }
}

[Explicit("measurement")]
public class RenderProfileTests
{
    [TestCase("Qwen/Qwen2.5-7B-Instruct")]
    [TestCase("whisper")]
    [TestCase("microsoft/Phi-3-mini-4k-instruct (2024-07) (add_generation_prompt=false)")]
    public void Split(string name)
    {
        JinjaCase c = CompiledCases.EndToEnd.Single(x => x.Name == name);
        var render = CompiledCases.Get().Renderers[CompiledCases.Key(c)];
        for (int i = 0; i < 3000; i++) { render(c.Variables); JinjaContext.FromJson(c.Variables); }
        const int n = 5000;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) JinjaContext.FromJson(c.Variables);
        double conv = sw.Elapsed.TotalMicroseconds / n;
        sw.Restart();
        for (int i = 0; i < n; i++) render(c.Variables);
        double full = sw.Elapsed.TotalMicroseconds / n;
        long before = GC.GetAllocatedBytesForCurrentThread();
        render(c.Variables);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{name}: FromJson {conv:F2} us, Render {full:F2} us, {bytes} B allocated per render");
    }
}

[Explicit("measurement")]
public class FormatTimingTests
{
    [Test]
    public void Phi3_JinjaVersusStructured()
    {
        ChatMessage[] chat = [ChatMessage.System("You are a helpful AI assistant."), ChatMessage.User("What is the capital of Argentina?"), ChatMessage.Assistant("Buenos Aires.")];
        char[] buffer = new char[1024];
        var ranges = new TextRange[4];
        (double Us, long Bytes) Measure(Action action)
        {
            for (int i = 0; i < 5000; i++) action();
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            const int n = 50_000;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) action();
            return (sw.Elapsed.TotalMicroseconds / n, bytes);
        }

        var jinja = Measure(() => Templates.Phi3JinjaTemplate.TryFormat(chat, buffer, out _, FormatOptions.Default, ranges, out _));
        var structured = Measure(() => Templates.Phi3Template.TryFormat(chat, buffer, out _, FormatOptions.Default, ranges, out _));
        TestContext.Out.WriteLine($"Jinja Phi-3 TryFormat: {jinja.Us:F2} us, {jinja.Bytes} B; structured: {structured.Us:F3} us, {structured.Bytes} B");
    }
}
