using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace Parley.Benchmarks.Jinja;

/// <summary>
/// <c>Render(JsonElement)</c> of real chat templates compiled from their Jinja source (see <see cref="JinjaWorkloads"/>)
/// on the workloads the peer scripts <c>benchmarks/peers/jinja_python.py</c> and <c>jinja_node.mjs</c> time. The time
/// includes reading the variables from the <see cref="System.Text.Json.JsonElement"/> (the peers get native
/// dicts/objects).
/// </summary>
[MemoryDiagnoser]
public class JinjaRenderBenchmarks
{
    private JinjaWorkload _workload = null!;

    [Params("Phi-3", "Llama-3.1 + tools", "Qwen2.5 + tools", "Mistral-v0.3 + tools", "SmolLM3 (generation)")]
    public string Template { get; set; } = "";

    [Params(3, 20)]
    public int Messages { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = JinjaWorkloads.Get(Template, Messages);

    [Benchmark(Description = "Render(JsonElement)")]
    public int Render() => _workload.Render(_workload.Variables).Length;

    [Benchmark(Description = "Interpreted Render(JsonElement)")]
    public int Interpreted() => _workload.Interpreted.Render(_workload.Variables).Length;
}

/// <summary>
/// <c>TryFormat</c>/<c>Format</c> through compiled Jinja templates whose variables are plain messages (plus
/// <c>add_generation_prompt</c> and the special tokens): the same text as <see cref="JinjaRenderBenchmarks"/> renders
/// for those templates (checked in setup), with the trainable ranges.
/// </summary>
[MemoryDiagnoser]
public class JinjaFormatBenchmarks
{
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly TextRange[] _ranges = new TextRange[64];
    private JinjaWorkload _workload = null!;
    private FormatOptions _options;

    /// <summary>The workloads whose variables are a plain conversation (what TryFormat and Format take).</summary>
    public static IEnumerable<string> PlainTemplates =>
    [
        "Phi-3", "SmolLM3 (generation)", "Zephyr", "Qwen1.5 (ChatML)", "DeepSeek-R1", "Gemma (zephyr-7b-gemma)", "OpenChat-3.5", "SOLAR",
        "CodeLlama-70b", "InternLM2", "Falcon-RW", "DeepSeek-Coder", "Mistral-Nemo",
    ];

    [ParamsSource(nameof(PlainTemplates))]
    public string Template { get; set; } = "";

    [Params(3, 20)]
    public int Messages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _workload = JinjaWorkloads.Get(Template, Messages);
        _options = new FormatOptions { AddGenerationPrompt = _workload.AddGenerationPrompt };
        JinjaCheck.FormatMatchesRender(_workload);
    }

    [Benchmark(Description = "Jinja TryFormat (reused buffer)")]
    public int TryFormat()
    {
        _workload.Template.TryFormat(_workload.Chat, _buffer, out int written, in _options, _ranges, out _);
        return written;
    }

    [Benchmark(Description = "Jinja Format (string)")]
    public int Format() => _workload.Template.Format(_workload.Chat, _workload.AddGenerationPrompt).Length;

    [Benchmark(Description = "Interpreted TryFormat (reused buffer)")]
    public int InterpretedTryFormat()
    {
        _workload.Interpreted.TryFormat(_workload.Chat, _buffer, out int written, in _options, _ranges, out _);
        return written;
    }
}

/// <summary>Output checks shared by the benchmarks and <c>--jinja-check</c>.</summary>
public static class JinjaCheck
{
    /// <summary>Throws unless <c>TryFormat</c> writes exactly what <c>Render</c> renders for a plain-message workload.</summary>
    public static void FormatMatchesRender(JinjaWorkload workload)
    {
        if (!workload.PlainMessages) throw new InvalidOperationException(workload.Label + " has variables beyond messages; TryFormat would render another text.");
        var buffer = new char[64 * 1024];
        var options = new FormatOptions { AddGenerationPrompt = workload.AddGenerationPrompt };
        if (!workload.Template.TryFormat(workload.Chat, buffer, out int written, in options, new TextRange[64], out _)) throw new InvalidOperationException("buffer too small");
        string rendered = workload.Render(workload.Variables);
        if (!buffer.AsSpan(0, written).SequenceEqual(rendered)) throw new InvalidOperationException(workload.Label + ": TryFormat and Render differ.");
    }

    /// <summary>
    /// <c>dotnet run -c Release --project benchmarks/Parley.Benchmarks -- --jinja-check</c>: the SHA-256 prefix of each
    /// rendering, the column the peer scripts print, so the three implementations can be seen to render the same text.
    /// </summary>
    public static void Print()
    {
        Console.WriteLine($"{"template",-24} {"messages",8}  sha256        chars");
        foreach (JinjaWorkload w in JinjaWorkloads.All())
        {
            string text = w.Render(w.Variables);
            string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
            if (w.PlainMessages) FormatMatchesRender(w);
            Console.WriteLine($"{w.Label,-24} {w.Messages,8}  {digest}  ({text.Length} chars){(w.PlainMessages ? "  TryFormat = Render" : "")}");
        }
    }

    /// <summary>
    /// <c>--jinja-quick</c>: a stopwatch pass over every workload (Render, the JSON-to-variables part of it, TryFormat)
    /// for a quick look while working; the figures in RESULTS.md come from BenchmarkDotNet.
    /// </summary>
    public static void Quick()
    {
        var buffer = new char[64 * 1024];
        var ranges = new TextRange[64];
        static double Time(Action action)
        {
            // Warm-up so tiered compilation has promoted the hot methods; then the fastest of 200 batches of about 1 ms:
            // on a machine shared with other builds the minimum is the figure least disturbed by them.
            var warm = System.Diagnostics.Stopwatch.StartNew();
            while (warm.ElapsedMilliseconds < 300) action();
            int n = 1;
            for (var sw = System.Diagnostics.Stopwatch.StartNew(); sw.Elapsed.TotalMilliseconds < 1; n *= 2)
            {
                sw.Restart();
                for (int i = 0; i < n; i++) action();
            }

            double best = double.MaxValue;
            for (int batch = 0; batch < 200; batch++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < n; i++) action();
                best = Math.Min(best, sw.Elapsed.TotalMicroseconds / n);
            }

            return best;
        }

        static long Bytes(Action action)
        {
            action();
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Console.WriteLine($"{"template",-24} {"msgs",4} {"Render us",10} {"B",8} {"FromJson us",12} {"interp us",10} {"B",8} {"TryFormat us",13} {"B",6} {"interp TF us",13} {"B",6}");
        foreach (JinjaWorkload w in JinjaWorkloads.All())
        {
            var options = new FormatOptions { AddGenerationPrompt = w.AddGenerationPrompt };
            Action render = () => w.Render(w.Variables);
            Action interpreted = () => w.Interpreted.Render(w.Variables);
            Action fromJson = () => Parley.Jinja.JinjaContext.FromJson(w.Variables);
            Action format = () => w.Template.TryFormat(w.Chat, buffer, out _, in options, ranges, out _);
            Action interpretedFormat = () => w.Interpreted.TryFormat(w.Chat, buffer, out _, in options, ranges, out _);
            if (w.Interpreted.Render(w.Variables) != w.Render(w.Variables)) throw new InvalidOperationException(w.Label + ": the interpreter renders another text");
            string tryFormat = w.PlainMessages ? $"{Time(format),13:F3} {Bytes(format),6} {Time(interpretedFormat),13:F3} {Bytes(interpretedFormat),6}" : "";
            Console.WriteLine($"{w.Label,-24} {w.Messages,4} {Time(render),10:F3} {Bytes(render),8} {Time(fromJson),12:F3} {Time(interpreted),10:F3} {Bytes(interpreted),8} {tryFormat}");
        }
    }

    /// <summary>
    /// <c>--jinja-latency</c>: time to the first rendering of a template never seen before, interpreted
    /// (<c>JinjaTemplate.Parse</c> + Render) and compiled at run time (emit + Roslyn + load + Render), per template.
    /// </summary>
    public static void Latency()
    {
        Console.WriteLine($"{"template",-24} {"interpreted ms",15} {"compiled ms",12}");
        var seen = new HashSet<string>();
        foreach (JinjaWorkload w in JinjaWorkloads.All())
        {
            if (!seen.Add(w.Label)) continue;
            // A changed name makes each measurement a template the process has not compiled yet.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Parley.Jinja.JinjaTemplate.Parse(w.Source + "{# " + Guid.NewGuid() + " #}").Render(w.Variables);
            double interpreted = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            string code = Parley.Generators.Jinja.JinjaCompiler.GenerateSource(w.Source + "{# " + Guid.NewGuid() + " #}", "Latency", "Parley.Benchmarks.Latency" + seen.Count);
            string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
            byte[] image = Parley.Generators.Jinja.JinjaCompiler.CompileToImage([code], "Latency" + Guid.NewGuid().ToString("N"), platform.Append(typeof(ChatMessage).Assembly.Location));
            var context = new System.Runtime.Loader.AssemblyLoadContext(null, isCollectible: true);
            var type = context.LoadFromStream(new MemoryStream(image)).GetType("Parley.Benchmarks.Latency" + seen.Count + ".Latency")!;
            type.GetMethod("Render", [typeof(System.Text.Json.JsonElement)])!.Invoke(null, [w.Variables]);
            double compiled = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine($"{w.Label,-24} {interpreted,15:F1} {compiled,12:F1}");
        }
    }
}
