using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Parley.Generators.Diagnostics;
using Parley.Generators.Model;

namespace Parley.Generators.Parsing
{
    /// <summary>
    /// Reads the MSBuild route: <c>&lt;ParleyChatTemplate Include="tokenizer_config.json" ClassName="MyApp.Qwen3" /&gt;</c>.
    /// Parley's buildTransitive targets turn each item into an <c>AdditionalFiles</c> entry flagged
    /// <c>ParleyChatTemplate="true"</c>, with its metadata visible to the compiler; the class exists only as generated code.
    /// </summary>
    internal static class TemplateItemParser
    {
        private const string Prefix = "build_metadata.AdditionalFiles.";

        /// <summary>Whether an additional file came from a <c>ParleyChatTemplate</c> item.</summary>
        public static bool IsTemplateItem(AnalyzerConfigOptions options) =>
            options.TryGetValue(Prefix + "ParleyChatTemplate", out string? flag) && string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase);

        /// <summary>Parses the item's metadata and file into the same model the attribute route produces.</summary>
        public static JinjaParseResult Parse(AdditionalText file, AnalyzerConfigOptions options, CancellationToken cancellationToken)
        {
            string path = file.Path;
            var fileStart = new LocationInfo(path, new TextSpan(0, 0), new LinePositionSpan(default, default));
            var diagnostics = new List<DiagnosticInfo>();
            void Fail(string message) =>
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidTemplateItem, fileStart, new EquatableArray<string>(new[] { DisplayPath(path), message })));

            string fullName = Metadata(options, "ClassName") ?? "";
            string[] parts = fullName.Split('.');
            if (fullName.Length == 0)
            {
                Fail("set ClassName to the class to generate, e.g. ClassName=\"MyApp.Templates.Qwen3Template\"");
            }
            else if (parts.Any(part => !SyntaxFacts.IsValidIdentifier(part) || SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None))
            {
                Fail("ClassName '" + fullName + "' is not a valid C# type name: use identifiers separated by dots, e.g. \"MyApp.Templates.Qwen3Template\"");
            }

            string visibility = (Metadata(options, "Visibility") ?? "internal").ToLowerInvariant();
            if (visibility is not ("public" or "internal"))
            {
                Fail("Visibility '" + visibility + "' is not supported: use \"public\" or \"internal\" (the default)");
            }

            string? text = file.GetText(cancellationToken)?.ToString();
            if (text is null)
            {
                Fail("the file could not be read");
            }

            if (diagnostics.Count > 0 || text is null)
            {
                return new JinjaParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            string className = parts[parts.Length - 1];
            string? @namespace = parts.Length > 1 ? string.Join(".", parts, 0, parts.Length - 1) : null;
            EquatableArray<string> inputs = new((Metadata(options, "Inputs") ?? "")
                .Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(input => input.Trim())
                .Where(input => input.Length > 0));
            var request = new JinjaFileRequest(@namespace, EquatableArray<ContainingTypeSpec>.Empty, className, path,
                Metadata(options, "TemplateName"), Metadata(options, "Bos"), Metadata(options, "Eos"), fileStart,
                EquatableArray<DiagnosticInfo>.Empty, HasErrors: false, inputs, visibility);
            return JinjaTemplateParser.ResolveFile(request, new EquatableArray<AdditionalFileSpec>(new[] { new AdditionalFileSpec(path, text) }));
        }

        private static string? Metadata(AnalyzerConfigOptions options, string name) =>
            options.TryGetValue(Prefix + name, out string? value) && value.Trim().Length > 0 ? value.Trim() : null;

        private static string DisplayPath(string path) => System.IO.Path.GetFileName(path) is { Length: > 0 } name ? name : path;
    }
}
