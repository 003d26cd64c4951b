using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Jinja;

namespace Parley.Generators.Tests.Jinja;

/// <summary>One fixture case: a template, its variables, and what Python jinja2 rendered (or that it raised).</summary>
public sealed record JinjaCase(string Suite, string Name, string Template, JsonElement Variables, string? Expected, bool ExpectError)
{
    public override string ToString() => Name;
}

/// <summary>
/// Compiles every fixture case THROUGH THE GENERATOR in one in-memory compilation (one class per case), emits it to an
/// assembly with Roslyn, loads it, and keeps each class's <c>Render(JsonElement)</c>. Built once per test run.
/// </summary>
internal static class CompiledCases
{
    /// <summary>The fixtures' clock: Python rendered them with strftime_now at 2025-07-10 12:00.</summary>
    public static readonly JinjaRenderOptions Frozen = new() { TimeProvider = new FixedClock(new DateTime(2025, 7, 10, 12, 0, 0)) };

    /// <summary>The case interpreted (<see cref="JinjaTemplate.Parse"/>), or why it could not be read.</summary>
    public static string? Interpreted(JinjaCase c, out JinjaTemplate? template)
    {
        template = null;
        try
        {
            template = JinjaTemplate.Parse(c.Template, new JinjaTemplateOptions { Name = c.Name, Render = Frozen });
            return null;
        }
        catch (TemplateException e)
        {
            return "parse: " + e.Message;
        }
    }

    private static readonly Lazy<Compiled> Instance = new(() => Build(Load()));

    public static Compiled Get() => Instance.Value;

    public static IReadOnlyList<JinjaCase> Syntax => Load().Where(c => c.Suite == "syntax").ToList();

    public static IReadOnlyList<JinjaCase> EndToEnd => Load().Where(c => c.Suite == "e2e").ToList();

    private static List<JinjaCase>? _cases;

    public static string? FixturesRoot()
    {
        string? overridden = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
        if (!string.IsNullOrEmpty(overridden)) return Path.GetFullPath(overridden);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
            }
        }

        return null;
    }

    public static List<JinjaCase> Load()
    {
        if (_cases is not null) return _cases;
        var cases = new List<JinjaCase>();
        string? root = FixturesRoot();
        string syntaxPath = root is null ? "" : Path.Combine(root, "jinja", "syntax-cases.json");
        string e2ePath = root is null ? "" : Path.Combine(root, "jinja", "e2e-cases.json");
        if (File.Exists(syntaxPath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(syntaxPath));
            foreach (JsonElement c in doc.RootElement.EnumerateArray())
            {
                cases.Add(new JinjaCase("syntax", c.GetProperty("name").GetString()!, c.GetProperty("template").GetString()!, c.GetProperty("context").Clone(),
                    c.GetProperty("expected").ValueKind == JsonValueKind.String ? c.GetProperty("expected").GetString() : null, c.GetProperty("expect_error").GetBoolean()));
            }
        }

        if (File.Exists(e2ePath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(e2ePath));
            foreach (JsonElement c in doc.RootElement.EnumerateArray())
            {
                cases.Add(new JinjaCase("e2e", c.GetProperty("name").GetString()!, c.GetProperty("chat_template").GetString()!, c.GetProperty("data").Clone(),
                    c.GetProperty("target").GetString(), false));
            }
        }

        return _cases = cases;
    }

    public sealed class Compiled
    {
        public Dictionary<string, Func<JsonElement, string>> Renderers { get; } = new();

        /// <summary>Each compiled case as an <see cref="IChatTemplate"/> (the Format/TryFormat surface).</summary>
        public Dictionary<string, IChatTemplate> Templates { get; } = new();

        /// <summary>The generated class of each compiled case (its C# source).</summary>
        public Dictionary<string, string> Sources { get; } = new();

        /// <summary>Each compiled case's class.</summary>
        public Dictionary<string, Type> Types { get; } = new();

        /// <summary>Why a case has no renderer: generator diagnostics or C# compile errors.</summary>
        public Dictionary<string, string> Problems { get; } = new();

        public TimeSpan BuildTime { get; set; }

        /// <summary>Compiler warnings in generated code (there must be none: consumers may treat warnings as errors).</summary>
        public List<string> GeneratedCodeWarnings { get; } = new();
    }

    public static string Key(JinjaCase c) => c.Suite + ":" + c.Name;

    public static Compiled Build(List<JinjaCase> cases)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = new Compiled();
        var classes = new Dictionary<string, JinjaCase>();
        var sources = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            string className = "Case" + i;
            classes[className] = cases[i];
            sources.Add($$"""
                namespace JinjaCases;

                [global::Parley.JinjaChatTemplate({{SymbolDisplay.FormatLiteral(cases[i].Template, quote: true)}})]
                public static partial class {{className}};
                """);
        }

        var excluded = new HashSet<string>();
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var included = classes.Keys.Where(k => !excluded.Contains(k)).ToList();
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation(included.Select(k => sources[int.Parse(k[4..])]).ToArray());
            GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
            GeneratorRunResult run = driver.GetRunResult().Results.Single();
            bool changed = false;
            foreach (Diagnostic d in run.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                string? cls = ClassOf(d, included);
                if (cls is not null && excluded.Add(cls))
                {
                    result.Problems[Key(classes[cls])] = "generator: " + d.GetMessage();
                    changed = true;
                }
            }

            if (changed) continue;
            using var stream = new MemoryStream();
            var emitted = output.Emit(stream);
            if (!emitted.Success)
            {
                foreach (Diagnostic d in emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
                {
                    string file = d.Location.SourceTree?.FilePath ?? "";
                    string? cls = included.FirstOrDefault(k => file.EndsWith("." + k + ".g.cs", StringComparison.Ordinal) || file.EndsWith("Source" + included.IndexOf(k) + ".cs", StringComparison.Ordinal));
                    if (cls is not null && excluded.Add(cls))
                    {
                        result.Problems[Key(classes[cls])] = "C# compile: " + d.GetMessage() + " at " + d.Location.GetLineSpan();
                    }
                }

                continue;
            }

            result.GeneratedCodeWarnings.AddRange(emitted.Diagnostics
                .Where(d => d.Severity == DiagnosticSeverity.Warning && (d.Location.SourceTree?.FilePath ?? "").EndsWith(".g.cs", StringComparison.Ordinal))
                .Select(d => d.ToString()));
            Assembly assembly = Assembly.Load(stream.ToArray());
            foreach (string k in included)
            {
                MethodInfo? render = assembly.GetType("JinjaCases." + k)!.GetMethod("Render", [typeof(JsonElement), typeof(JinjaRenderOptions)]);
                if (render is null)
                {
                    result.Problems[Key(classes[k])] = "generator emitted nothing: " + string.Join("; ", run.Diagnostics);
                    continue;
                }

                var withOptions = render.CreateDelegate<Func<JsonElement, JinjaRenderOptions?, string>>();
                Func<JsonElement, string> renderer = variables => withOptions(variables, Frozen);
                result.Renderers[Key(classes[k])] = renderer;
                result.Types[Key(classes[k])] = assembly.GetType("JinjaCases." + k)!;
                result.Sources[Key(classes[k])] = run.GeneratedSources.Single(g => g.HintName.EndsWith("." + k + ".g.cs", StringComparison.Ordinal)).SourceText.ToString();
                result.Templates[Key(classes[k])] = (IChatTemplate)assembly.GetType("JinjaCases." + k)!.GetProperty("Instance")!.GetValue(null)!;
            }

            break;
        }

        result.BuildTime = started.Elapsed;
        return result;
    }

    private static string? ClassOf(Diagnostic d, List<string> included)
    {
        string file = d.Location.SourceTree?.FilePath ?? "";
        if (file.StartsWith("Source", StringComparison.Ordinal) && int.TryParse(file[6..^3], out int index) && index < included.Count)
        {
            return included[index];
        }

        return null;
    }

    public static string? Renderer(JinjaCase c, out Func<JsonElement, string>? renderer)
    {
        Compiled compiled = Get();
        renderer = compiled.Renderers.GetValueOrDefault(Key(c));
        return compiled.Problems.GetValueOrDefault(Key(c));
    }
}
