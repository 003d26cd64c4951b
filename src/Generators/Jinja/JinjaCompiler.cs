using Parley.Jinja.Syntax;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Generators.Emit;
using Parley.Generators.Model;
using Parley.Generators.Parsing;

namespace Parley.Generators.Jinja
{
    /// <summary>
    /// The generator's Jinja front end and emitter for use at run time (the CLI's <c>render</c> and <c>check</c>):
    /// check a template, read a tokenizer_config.json, or produce the same C# class the generator emits, to compile
    /// in memory with Roslyn.
    /// </summary>
    /// <example>
    /// <code>
    /// string source = JinjaCompiler.GenerateSource(template, "Compiled", "Parley.RunTime", bos: "&lt;s&gt;", eos: "&lt;/s&gt;");
    /// // compile with Roslyn against Parley.Attributes, load, call Compiled.Render(variables)
    /// </code>
    /// </example>
    internal static class JinjaCompiler
    {
        /// <summary>
        /// Every problem of <paramref name="template"/> with its line and column: errors, and warnings
        /// (<see cref="JinjaProblem.IsWarning"/>, undefined names) that do not stop compilation.
        /// </summary>
        public static IReadOnlyList<JinjaProblem> Check(string template)
        {
            var problems = new List<JinjaProblem>();
            JinjaChecks.Check(template, problems);
            return problems;
        }

        /// <summary>The C# source of a static class compiling <paramref name="template"/>, as the generator emits it.</summary>
        /// <exception cref="JinjaSyntaxException">The template has a problem (see <see cref="Check"/>).</exception>
        public static string GenerateSource(string template, string className, string? @namespace = null, string? bos = null, string? eos = null)
        {
            JinjaProblem? first = System.Linq.Enumerable.FirstOrDefault(Check(template), p => !p.IsWarning);
            if (first is not null)
            {
                throw new JinjaSyntaxException(first.Message, first.Line, first.Column, first.Kind == "unsupported", first.Length);
            }

            var spec = new JinjaSpec(@namespace, EquatableArray<ContainingTypeSpec>.Empty, className, template, bos, eos);
            return JinjaClassEmitter.Emit(spec, emitInstance: true);
        }

        /// <summary>
        /// Compiles generated template classes in memory (Release, nullable enabled) into an assembly image, against
        /// <paramref name="referencePaths"/> (the running platform's assemblies and Parley.Attributes).
        /// </summary>
        /// <exception cref="System.InvalidOperationException">The sources do not compile; the message lists the errors.</exception>
        public static byte[] CompileToImage(IEnumerable<string> sources, string assemblyName, IEnumerable<string> referencePaths)
        {
            var compilation = CSharpCompilation.Create(
                assemblyName,
                sources.Select(source => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))),
                referencePaths.Distinct().Select(path => MetadataReference.CreateFromFile(path)),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));
            using var image = new MemoryStream();
            var result = compilation.Emit(image);
            if (!result.Success)
            {
                throw new System.InvalidOperationException("The compiled template did not build (a Parley bug; please report it):" + "\n"
                    + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
            }

            return image.ToArray();
        }

        /// <summary>
        /// Reads a tokenizer_config.json: its <c>chat_template</c> (a string, or the template named
        /// <paramref name="name"/> — default <c>default</c> — of a list) and its <c>bos_token</c>/<c>eos_token</c>
        /// (strings or <c>{"content": ...}</c>). Returns null on success, else what is wrong.
        /// </summary>
        public static string? ReadTokenizerConfig(string json, string? name, out string template, out string? bos, out string? eos) =>
            TokenizerConfigReader.Read(json, name, out template, out bos, out eos);
    }
}
