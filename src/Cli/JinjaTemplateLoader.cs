using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Parley.Generators.Jinja;
using Parley.Jinja;
using Parley.Jinja.Syntax;

namespace Parley.Cli;

/// <summary>How a template file is made runnable: interpreted (no compile step) or compiled with Roslyn.</summary>
internal enum JinjaMode
{
    /// <summary><see cref="JinjaTemplate.Parse"/>: for one-shot commands, where compile time would dominate.</summary>
    Interpreted,

    /// <summary>The generator's emitter compiled in memory: for commands that format many rows.</summary>
    Compiled,
}

/// <summary>
/// Loads a chat template from a <c>tokenizer_config.json</c> or a <c>.jinja</c> file, either for the interpreter or
/// compiled with the front end and emitter the source generator uses (the RegexInterpreter / RegexOptions.Compiled
/// split). Both give a <see cref="JinjaTemplate"/> with the same output, ranges and limits.
/// </summary>
internal static class JinjaTemplateLoader
{
    /// <summary>Reads the template text and its BOS/EOS from a file.</summary>
    /// <exception cref="CliInputException">The file holds no chat template.</exception>
    public static (string Template, string? Bos, string? Eos) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--template '{path}': no such file (give a tokenizer_config.json, a .jinja file or a built-in name).", path);
        string text = File.ReadAllText(path);
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return (text, null, null);
        string? problem = JinjaCompiler.ReadTokenizerConfig(text, null, out string template, out string? bos, out string? eos);
        if (problem is not null) throw new CliInputException($"{path}: {problem}");
        return (template, bos, eos);
    }

    /// <summary>The problems of a template file, each as <c>file:line:column: [warning: ]kind: message</c>, and whether any is an error.</summary>
    public static (IReadOnlyList<string> Lines, bool HasErrors) Check(string path)
    {
        var (template, _, _) = Read(path);
        IReadOnlyList<JinjaProblem> problems = JinjaCompiler.Check(template);
        return (problems.Select(p => Describe(path, p)).ToList(), problems.Any(p => !p.IsWarning));
    }

    // Positions count within the template text; in a tokenizer_config.json that text is the chat_template string, so say so.
    private static string Describe(string path, JinjaProblem p) =>
        $"{path}:{(path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "chat_template:" : "")}{p.Line}:{p.Column}: {(p.IsWarning ? "warning: " : "")}{p.Kind}: {p.Message}";

    /// <summary>Reads the template in <paramref name="path"/> for the interpreter or compiles it (once per process and template).</summary>
    /// <exception cref="CliInputException">The template has errors (listed with their positions).</exception>
    public static JinjaTemplate Load(string path, JinjaMode mode)
    {
        var (template, bos, eos) = Read(path);
        // Undefined-name warnings do not stop rendering: the variables file may well supply the name.
        var errors = JinjaCompiler.Check(template).Where(p => !p.IsWarning).ToList();
        if (errors.Count > 0)
        {
            throw new CliInputException(string.Join(Environment.NewLine, errors.Select(p => Describe(path, p))));
        }

        var options = new JinjaTemplateOptions { Name = Path.GetFileName(path), Bos = bos, Eos = eos };
        try
        {
            return mode == JinjaMode.Interpreted ? JinjaTemplate.Parse(template, options) : CompiledJinjaTemplates.Compile(template, options);
        }
        catch (TemplateException e)
        {
            throw new CliInputException($"{path}:{e.Line}:{e.Column}: {e.Message}");
        }
        catch (InvalidOperationException e) when (e.Message.Contains("CS8078", StringComparison.Ordinal))
        {
            // Roslyn's "expression too long or complex" (a literal nested thousands deep): the template's doing, one line.
            throw new CliInputException($"{path}: an expression is nested too deeply to compile (C# error CS8078); flatten the literal or split the expression.");
        }
    }
}

/// <summary>
/// Jinja templates compiled at run time: the generator's emitter, compiled by Roslyn in memory and loaded into a
/// collectible load context (nothing is written to disk). Compiled render methods are cached in-process by the hash of
/// their source, so a template is compiled once per process whatever its special tokens.
/// </summary>
internal static class CompiledJinjaTemplates
{
    private const string Namespace = "Parley.RunTime";
    private static readonly ConcurrentDictionary<string, Lazy<JinjaRenderer>> Cache = new(StringComparer.Ordinal);

    /// <summary>Compiles (or takes from the cache) <paramref name="template"/>.</summary>
    /// <exception cref="TemplateException">The template has an error (see <see cref="JinjaCompiler.Check"/>).</exception>
    public static JinjaTemplate Compile(string template, JinjaTemplateOptions options)
    {
        string source;
        try
        {
            source = JinjaCompiler.GenerateSource(template, "CompiledTemplate", Namespace);
        }
        catch (JinjaSyntaxException e)
        {
            throw new TemplateException($"Template '{options.Name}' (line {e.Line}, column {e.Column}): {e.Message}");
        }

        string hash = Hash(source);
        JinjaRenderer render = Cache.GetOrAdd(hash, h => new Lazy<JinjaRenderer>(() => Load([source], h)[0])).Value;
        return JinjaTemplate.FromRenderer(render, options);
    }

    /// <summary>Compiles many templates into one assembly (one Roslyn run): the conformance suite's way.</summary>
    public static IReadOnlyList<JinjaTemplate> CompileAll(IReadOnlyList<(string Template, JinjaTemplateOptions Options)> templates)
    {
        var sources = templates.Select((t, i) => JinjaCompiler.GenerateSource(t.Template, "CompiledTemplate" + i, Namespace)).ToList();
        IReadOnlyList<JinjaRenderer> renders = Load(sources, Hash(string.Concat(sources)));
        return templates.Select((t, i) => JinjaTemplate.FromRenderer(renders[i], t.Options)).ToList();
    }

    private static string Hash(string source) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source + typeof(ChatMessage).Assembly.ManifestModule.ModuleVersionId)))[..32];

    private static IReadOnlyList<JinjaRenderer> Load(IReadOnlyList<string> sources, string hash)
    {
        byte[] image = JinjaCompiler.CompileToImage(sources, $"ParleyTemplate_{hash}", PlatformReferences());
        var context = new AssemblyLoadContext($"ParleyTemplate_{hash}", isCollectible: true);
        Assembly assembly = context.LoadFromStream(new MemoryStream(image));
        var renders = new List<JinjaRenderer>();
        for (int i = 0; i < sources.Count; i++)
        {
            string name = sources.Count == 1 && assembly.GetType($"{Namespace}.CompiledTemplate") is not null ? "CompiledTemplate" : "CompiledTemplate" + i;
            Type type = assembly.GetType($"{Namespace}.{name}", throwOnError: true)!;
            renders.Add(type.GetMethod("__Render", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<JinjaRenderer>());
        }

        return renders;
    }

    /// <summary>The running platform's assemblies and Parley: what a generated template class references.</summary>
    private static IEnumerable<string> PlatformReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Append(typeof(ChatMessage).Assembly.Location);
}
