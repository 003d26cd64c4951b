using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Benchmarks.Tokenization;
using Parley.Generators.Jinja;
using Parley.Jinja.Syntax;

namespace Parley.Benchmarks.Jinja;

/// <summary>One template and conversation: the variables as JSON, the messages, and the compiled template.</summary>
public sealed record JinjaWorkload(string Label, int Messages, JsonElement Variables, ChatMessage[] Chat, bool AddGenerationPrompt, bool PlainMessages, IChatTemplate Template, Func<JsonElement, string> Render, Parley.Jinja.JinjaTemplate Interpreted, string Source);

/// <summary>
/// The workloads of <c>benchmarks/peers/jinja-workloads.json</c> (shared with <c>jinja_python.py</c> and
/// <c>jinja_node.mjs</c>): real chat templates taken at run time from <c>shared/fixtures/jinja/e2e-cases.json</c>,
/// rendered with that case's variables and a 3- or 20-message conversation.
/// </summary>
/// <remarks>
/// The fixture text is not in the repository, so the generator cannot see it at build time: each template goes through
/// the generator's own front end and emitter at run time (<see cref="JinjaCompiler.GenerateSource"/>, the code the
/// generator would emit for <c>[JinjaChatTemplate]</c>) and is compiled in memory by Roslyn in Release, as the CLI's
/// <c>parley render</c> does. The compiled code is the same; only when it is compiled differs.
/// </remarks>
public static class JinjaWorkloads
{
    private static Dictionary<string, JinjaWorkload>? _loaded;

    public static string WorkloadFile
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx"))) return Path.Combine(dir.FullName, "benchmarks", "peers", "jinja-workloads.json");
            for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx"))) return Path.Combine(dir.FullName, "benchmarks", "peers", "jinja-workloads.json");
            throw new FileNotFoundException("benchmarks/peers/jinja-workloads.json not found above " + AppContext.BaseDirectory);
        }
    }

    public static JinjaWorkload Get(string label, int messages)
    {
        _loaded ??= Load();
        return _loaded[label + "/" + messages];
    }

    public static IEnumerable<JinjaWorkload> All() => (_loaded ??= Load()).Values;

    private static Dictionary<string, JinjaWorkload> Load()
    {
        using JsonDocument spec = JsonDocument.Parse(File.ReadAllText(WorkloadFile));
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(TokenizerCorpus.Fixtures, "jinja", "e2e-cases.json")));
        var byName = cases.RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        var templates = spec.RootElement.GetProperty("templates").EnumerateArray()
            .Select(t => (Label: t.GetProperty("label").GetString()!, Case: byName[t.GetProperty("case").GetString()!]))
            .ToList();

        var sources = new List<string>();
        for (int i = 0; i < templates.Count; i++)
        {
            JsonElement data = templates[i].Case.GetProperty("data");
            sources.Add(JinjaCompiler.GenerateSource(templates[i].Case.GetProperty("chat_template").GetString()!, "Template" + i, "Parley.Benchmarks.Compiled",
                bos: data.TryGetProperty("bos_token", out JsonElement bos) ? bos.GetString() : null,
                eos: data.TryGetProperty("eos_token", out JsonElement eos) ? eos.GetString() : null));
        }

        // PARLEY_JINJA_SOURCE=DIR keeps the generated C# for reading (what the profile of a template points at).
        string? keep = Environment.GetEnvironmentVariable("PARLEY_JINJA_SOURCE");
        if (!string.IsNullOrEmpty(keep))
        {
            Directory.CreateDirectory(keep);
            for (int i = 0; i < sources.Count; i++) File.WriteAllText(Path.Combine(keep, "Template" + i + ".g.cs"), "// " + templates[i].Label + "\n" + sources[i]);
        }

        Assembly assembly = Compile(sources);
        var result = new Dictionary<string, JinjaWorkload>();
        for (int i = 0; i < templates.Count; i++)
        {
            Type type = assembly.GetType("Parley.Benchmarks.Compiled.Template" + i, throwOnError: true)!;
            var template = (IChatTemplate)type.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var render = type.GetMethod("Render", BindingFlags.Public | BindingFlags.Static, [typeof(JsonElement)])!.CreateDelegate<Func<JsonElement, string>>();
            JsonElement data = templates[i].Case.GetProperty("data");
            foreach (JsonProperty conversation in spec.RootElement.GetProperty("conversations").EnumerateObject())
            {
                // The case's variables with its messages replaced by the conversation.
                var variables = new Dictionary<string, JsonElement>();
                foreach (JsonProperty p in data.EnumerateObject()) variables[p.Name] = p.Value.Clone();
                variables["messages"] = conversation.Value.Clone();
                JsonElement json = JsonSerializer.SerializeToElement(variables);
                ChatMessage[] chat = conversation.Value.EnumerateArray()
                    .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()))
                    .ToArray();
                bool addGenerationPrompt = data.TryGetProperty("add_generation_prompt", out JsonElement g) && g.ValueKind == JsonValueKind.True;
                // TryFormat passes messages, add_generation_prompt and the declared special tokens only.
                bool plain = data.EnumerateObject().All(p => p.Name is "messages" or "add_generation_prompt" or "bos_token" or "eos_token");
                int count = int.Parse(conversation.Name, System.Globalization.CultureInfo.InvariantCulture);
                string source = templates[i].Case.GetProperty("chat_template").GetString()!;
                var interpreted = Parley.Jinja.JinjaTemplate.Parse(source, new Parley.Jinja.JinjaTemplateOptions
                {
                    Name = templates[i].Label,
                    Bos = data.TryGetProperty("bos_token", out JsonElement b) ? b.GetString() : null,
                    Eos = data.TryGetProperty("eos_token", out JsonElement e) ? e.GetString() : null,
                });
                result[templates[i].Label + "/" + count] = new JinjaWorkload(templates[i].Label, count, json, chat, addGenerationPrompt, plain, template, render, interpreted, source);
            }
        }

        return result;
    }

    private static Assembly Compile(List<string> sources)
    {
        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        byte[] image = JinjaCompiler.CompileToImage(sources, "ParleyBenchmarkTemplates", platform.Append(typeof(ChatMessage).Assembly.Location));
        return AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image));
    }
}
