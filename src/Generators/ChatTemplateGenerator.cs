using Microsoft.CodeAnalysis;
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

            /// <summary>The one compilation fact the emitter needs.</summary>
            public const string CompilationFacts = nameof(CompilationFacts);
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
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

            context.RegisterSourceOutput(jinja.Combine(hasTemplateInterface), static (output, pair) => ProduceJinja(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(jinjaFiles.Combine(hasTemplateInterface), static (output, pair) => ProduceJinja(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(structured.Combine(hasTemplateInterface), static (output, pair) => Produce(output, pair.Left, pair.Right));
            context.RegisterSourceOutput(promptCompletion.Combine(hasTemplateInterface), static (output, pair) => Produce(output, pair.Left, pair.Right));
        }

        private static void ProduceJinja(SourceProductionContext output, JinjaParseResult result, bool emitInstance)
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Spec is { } spec)
            {
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

        private static void Produce(SourceProductionContext output, ParseResult result, bool emitInstance)
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Spec is { } spec)
            {
                output.AddSource(spec.HintName, TemplateEmitter.Emit(spec, emitInstance));
            }
        }
    }
}
