using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Parley.Generators.Emit;
using Parley.Generators.Model;
using Parley.Generators.Parsing;

namespace Parley.Generators
{
    /// <summary>
    /// Compiles chat templates declared with Parley's attributes into allocation-free formatters.
    /// Pipeline: attribute → <see cref="TemplateParser"/> (equatable <see cref="TemplateSpec"/> + diagnostics) →
    /// diagnostics reported → <see cref="TemplateEmitter"/>.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ChatTemplateGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps, for incremental-caching tests.</summary>
        public static class TrackingNames
        {
            /// <summary>Parsed <c>[ChatTemplate]</c> classes.</summary>
            public const string StructuredTemplates = nameof(StructuredTemplates);

            /// <summary>Parsed <c>[PromptCompletionTemplate]</c> classes.</summary>
            public const string PromptCompletionTemplates = nameof(PromptCompletionTemplates);

            /// <summary>Parsed <c>[JinjaChatTemplate]</c> classes.</summary>
            public const string JinjaTemplates = nameof(JinjaTemplates);

            /// <summary>Parsed <c>[JinjaChatTemplateFile]</c> classes, before their file is read.</summary>
            public const string JinjaFileRequests = nameof(JinjaFileRequests);

            /// <summary><c>[JinjaChatTemplateFile]</c> classes with their file read and parsed.</summary>
            public const string JinjaFileTemplates = nameof(JinjaFileTemplates);

            /// <summary><c>&lt;ParleyChatTemplate&gt;</c> MSBuild items, read and parsed.</summary>
            public const string TemplateItems = nameof(TemplateItems);

            /// <summary>The one compilation fact the emitter needs.</summary>
            public const string CompilationFacts = nameof(CompilationFacts);

            /// <summary>The project's C# language version, against the one generated code needs.</summary>
            public const string LanguageVersion = nameof(LanguageVersion);
        }

        /// <summary>
        /// The oldest C# that compiles every emitted template (ref fields in the range sinks). Below it the generator
        /// emits nothing and reports PARLEY023 once, instead of letting the compiler fail inside generated files.
        /// </summary>
        internal const LanguageVersion MinimumLanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp11;

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValueProvider<LanguageVersion> languageVersion = context.ParseOptionsProvider
                .Select(static (options, _) => options is CSharpParseOptions csharp ? csharp.LanguageVersion : MinimumLanguageVersion)
                .WithTrackingName(TrackingNames.LanguageVersion);

            // Only this fact of the compilation enters the pipeline, so unrelated edits leave the outputs cached.
            IncrementalValueProvider<bool> hasTemplateInterface = context.CompilationProvider
                .Select(static (compilation, _) => compilation.GetTypeByMetadataName("Parley.IChatTemplate") is not null)
                .WithTrackingName(TrackingNames.CompilationFacts);

            IncrementalValuesProvider<ParseResult> structured = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    TemplateParser.ChatTemplateAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (syntaxContext, cancellationToken) => TemplateParser.Parse(syntaxContext, TemplateKindSpec.Structured, cancellationToken))
                .WithTrackingName(TrackingNames.StructuredTemplates);

            IncrementalValuesProvider<ParseResult> promptCompletion = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    TemplateParser.PromptCompletionTemplateAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (syntaxContext, cancellationToken) => TemplateParser.Parse(syntaxContext, TemplateKindSpec.PromptCompletion, cancellationToken))
                .WithTrackingName(TrackingNames.PromptCompletionTemplates);

            IncrementalValuesProvider<JinjaParseResult> jinja = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    JinjaTemplateParser.JinjaChatTemplateAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (syntaxContext, cancellationToken) => JinjaTemplateParser.ParseInline(syntaxContext, cancellationToken))
                .WithTrackingName(TrackingNames.JinjaTemplates);

            IncrementalValuesProvider<JinjaFileRequest> fileRequests = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    JinjaTemplateParser.JinjaChatTemplateFileAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (syntaxContext, cancellationToken) => JinjaTemplateParser.ParseFileRequest(syntaxContext, cancellationToken))
                .Where(static request => request is not null)
                .Select(static (request, _) => request!)
                .WithTrackingName(TrackingNames.JinjaFileRequests);

            // Only the additional files some [JinjaChatTemplateFile] names are read (a project may carry large JSON files).
            IncrementalValueProvider<EquatableArray<string>> wantedPaths = fileRequests
                .Select(static (request, _) => request.Path)
                .Collect()
                .Select(static (paths, _) => new EquatableArray<string>(paths));

            IncrementalValueProvider<EquatableArray<AdditionalFileSpec>> templateFiles = context.AdditionalTextsProvider
                .Combine(wantedPaths)
                .Where(static pair => JinjaTemplateParser.IsWanted(pair.Left.Path, pair.Right))
                .Select(static (pair, cancellationToken) => new AdditionalFileSpec(pair.Left.Path, pair.Left.GetText(cancellationToken)?.ToString() ?? ""))
                .Collect()
                .Select(static (files, _) => new EquatableArray<AdditionalFileSpec>(files));

            IncrementalValuesProvider<JinjaParseResult> jinjaFiles = fileRequests
                .Combine(templateFiles)
                .Select(static (pair, _) => JinjaTemplateParser.ResolveFile(pair.Left, pair.Right))
                .WithTrackingName(TrackingNames.JinjaFileTemplates);

            // The MSBuild route: files flagged by Parley's buildTransitive targets; the file is read only for those.
            IncrementalValuesProvider<JinjaParseResult> itemTemplates = context.AdditionalTextsProvider
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Where(static pair => TemplateItemParser.IsTemplateItem(pair.Right.GetOptions(pair.Left)))
                .Select(static (pair, cancellationToken) => TemplateItemParser.Parse(pair.Left, pair.Right.GetOptions(pair.Left), cancellationToken))
                .WithTrackingName(TrackingNames.TemplateItems);

            IncrementalValueProvider<(bool HasTemplateInterface, LanguageVersion LanguageVersion)> facts = hasTemplateInterface.Combine(languageVersion);
            context.RegisterSourceOutput(jinja.Combine(facts), static (output, pair) => ProduceJinja(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(jinjaFiles.Combine(facts), static (output, pair) => ProduceJinja(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(itemTemplates.Collect().Combine(facts), static (output, pair) => ProduceItems(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(structured.Combine(facts), static (output, pair) => Produce(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(promptCompletion.Combine(facts), static (output, pair) => Produce(output, pair.Left, pair.Right));

            // One PARLEY023 for the whole project when any template would need a newer C# than it compiles with.
            IncrementalValueProvider<bool> anyTemplate = structured.Collect().Combine(promptCompletion.Collect())
                .Combine(jinja.Collect().Combine(jinjaFiles.Collect()).Combine(itemTemplates.Collect()))
                .Select(static (all, _) => all.Left.Left.Length + all.Left.Right.Length + all.Right.Left.Left.Length + all.Right.Left.Right.Length + all.Right.Right.Length > 0);
            context.RegisterSourceOutput(anyTemplate.Combine(languageVersion), static (output, pair) =>
            {
                if (pair.Left && !IsSupported(pair.Right))
                {
                    output.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.LanguageVersionTooLow, Location.None,
                        MinimumLanguageVersion.ToDisplayString(), pair.Right.ToDisplayString()));
                }
            });
        }

        private static bool IsSupported(LanguageVersion version) => version >= MinimumLanguageVersion;

        private static void ProduceItems(SourceProductionContext output, ImmutableArray<JinjaParseResult> results, (bool HasTemplateInterface, LanguageVersion LanguageVersion) facts)
        {
            // Items name their class in metadata, so two items can claim one name: keep the first, report the others.
            var claimed = new System.Collections.Generic.HashSet<string>(System.StringComparer.Ordinal);
            foreach (JinjaParseResult result in results)
            {
                if (result.Spec is { } spec && !claimed.Add(spec.HintName))
                {
                    string name = (spec.Namespace is null ? "" : spec.Namespace + ".") + spec.ClassName;
                    output.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.InvalidTemplateItem, spec.Origin?.ToLocation() ?? Location.None,
                        System.IO.Path.GetFileName(spec.Origin?.FilePath ?? name),
                        "another <ParleyChatTemplate> item already generates class '" + name + "': give each item its own ClassName"));
                    continue;
                }

                ProduceJinja(output, result, facts);
            }
        }

        private static void ProduceJinja(SourceProductionContext output, JinjaParseResult result, (bool HasTemplateInterface, LanguageVersion LanguageVersion) facts)
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Spec is { } spec && IsSupported(facts.LanguageVersion))
            {
                bool emitInstance = facts.HasTemplateInterface;
                string source;
                try
                {
                    source = JinjaClassEmitter.Emit(spec, emitInstance);
                }
                catch (Parley.Jinja.Syntax.JinjaSyntaxException e)
                {
                    // The checks passed, so this is a gap in the emitter: say so at the class rather than crash the build.
                    output.ReportDiagnostic(Diagnostic.Create(Diagnostics.DiagnosticDescriptors.JinjaUnsupported, null, spec.ClassName,
                        e.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Column.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message));
                    return;
                }

                output.AddSource(spec.HintName, source);
            }
        }

        private static void Produce(SourceProductionContext output, ParseResult result, (bool HasTemplateInterface, LanguageVersion LanguageVersion) facts)
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Spec is { } spec && IsSupported(facts.LanguageVersion))
            {
                output.AddSource(spec.HintName, TemplateEmitter.Emit(spec, facts.HasTemplateInterface));
            }
        }
    }
}
