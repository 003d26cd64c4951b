using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Generators.Jinja;

namespace Parley.Cli;

/// <summary>A Jinja template compiled at run time: the generator's emitter, compiled in memory by Roslyn.</summary>
internal sealed record LoadedJinjaTemplate(IChatTemplate Template, Func<System.Text.Json.JsonElement, string> Render);

/// <summary>
/// Loads a chat template from a <c>tokenizer_config.json</c> or a <c>.jinja</c> file and compiles it with the same
/// front end and emitter the source generator uses (the Regex-generator / RegexOptions.Compiled split). Compiled
/// assemblies are cached by the hash of their source, so a template is compiled once per machine.
/// </summary>
internal static class JinjaTemplateLoader
{
    private const string ClassName = "CompiledTemplate";
    private const string Namespace = "Parley.RunTime";

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

    /// <summary>Compiles (or loads from the cache) the template in <paramref name="path"/>.</summary>
    /// <exception cref="CliInputException">The template has errors (listed with their positions).</exception>
    public static LoadedJinjaTemplate Load(string path)
    {
        var (template, bos, eos) = Read(path);
        // Undefined-name warnings do not stop rendering: the variables file may well supply the name.
        var errors = JinjaCompiler.Check(template).Where(p => !p.IsWarning).ToList();
        if (errors.Count > 0)
        {
            throw new CliInputException(string.Join(Environment.NewLine, errors.Select(p => Describe(path, p))));
        }

        string source = JinjaCompiler.GenerateSource(template, ClassName, Namespace, bos, eos);
        Assembly assembly;
        try
        {
            assembly = LoadCached(source);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("CS8078", StringComparison.Ordinal))
        {
            // Roslyn's "expression too long or complex" (a list literal nested thousands deep): the template's doing, one line.
            throw new CliInputException($"{path}: an expression is nested too deeply to compile (C# error CS8078); flatten the literal or split the expression.");
        }

        Type type = assembly.GetType($"{Namespace}.{ClassName}", throwOnError: true)!;
        var instance = (IChatTemplate)type.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var render = type.GetMethod("Render", BindingFlags.Public | BindingFlags.Static, [typeof(System.Text.Json.JsonElement)])!
            .CreateDelegate<Func<System.Text.Json.JsonElement, string>>();
        return new LoadedJinjaTemplate(instance, render);
    }

    /// <summary>Entries the cache keeps; older ones (by last use) are deleted when a new one is written.</summary>
    internal const int CacheCapacity = 64;

    /// <summary>The cache folder (tests point it elsewhere).</summary>
    internal static string CacheDirectory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "parley", "templates");

    /// <summary>
    /// The compiled template for <paramref name="source"/>: from the cache when its entry's SHA-256 matches the one
    /// recorded beside it, else compiled and written (an entry that is damaged, truncated or unloadable is rebuilt, never
    /// fatal). The cache holds at most <see cref="CacheCapacity"/> entries.
    /// </summary>
    private static Assembly LoadCached(string source)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source + typeof(ChatMessage).Assembly.ManifestModule.ModuleVersionId)))[..32];
        return Loaded.GetOrAdd(hash, h => LoadVerified(source, h));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Assembly> Loaded = new(StringComparer.Ordinal);

    /// <summary>Forgets the templates loaded in this process, so the next load reads the cache again (tests).</summary>
    internal static void ForgetLoaded() => Loaded.Clear();

    private static Assembly LoadVerified(string source, string hash)
    {
        string file = Path.Combine(CacheDirectory, $"template-{hash}.dll");
        byte[]? image = ReadVerified(file);
        if (image is null)
        {
            image = Compile(source, $"ParleyTemplate_{hash}");
            TryWrite(file, image);
        }

        // Loaded from the verified bytes, not the path: a file swapped after the check cannot be what runs.
        // Its own load context: Parley's types resolve from the default context, so the template implements the same IChatTemplate.
        return new AssemblyLoadContext($"parley-template-{hash}").LoadFromStream(new MemoryStream(image));
    }

    private static byte[]? ReadVerified(string file)
    {
        try
        {
            if (!File.Exists(file) || !File.Exists(file + ".sha256")) return null;
            byte[] image = File.ReadAllBytes(file);
            string expected = File.ReadAllText(file + ".sha256").Trim();
            if (!string.Equals(Convert.ToHexString(SHA256.HashData(image)), expected, StringComparison.OrdinalIgnoreCase)) return null;
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow); // last use, for the eviction order
            return image;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Best effort: a cache that cannot be written only costs a compile next time.</summary>
    private static void TryWrite(string file, byte[] image)
    {
        try
        {
            Directory.CreateDirectory(CacheDirectory);
            string temporary = file + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, file, overwrite: true);
            File.WriteAllText(file + ".sha256", Convert.ToHexString(SHA256.HashData(image)));
            foreach (FileInfo old in new DirectoryInfo(CacheDirectory).GetFiles("template-*.dll").OrderByDescending(f => f.LastWriteTimeUtc).Skip(CacheCapacity))
            {
                old.Delete();
                File.Delete(old.FullName + ".sha256");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static byte[] Compile(string source, string assemblyName) =>
        JinjaCompiler.CompileToImage([source], assemblyName, PlatformReferences());

    /// <summary>The running platform's assemblies and Parley.Attributes: what a generated template class references.</summary>
    private static IEnumerable<string> PlatformReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Append(typeof(ChatMessage).Assembly.Location);
}
