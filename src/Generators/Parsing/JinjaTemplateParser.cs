using Parley.Jinja.Syntax;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Parley.Generators.Diagnostics;
using Parley.Generators.Jinja;
using Parley.Generators.Model;

namespace Parley.Generators.Parsing
{
    /// <summary>Reads <c>[JinjaChatTemplate]</c> and <c>[JinjaChatTemplateFile]</c> classes into <see cref="JinjaSpec"/>s.</summary>
    internal static class JinjaTemplateParser
    {
        public const string JinjaChatTemplateAttribute = "Parley.JinjaChatTemplateAttribute";
        public const string JinjaChatTemplateFileAttribute = "Parley.JinjaChatTemplateFileAttribute";

        public static JinjaParseResult ParseInline(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol symbol || context.TargetNode is not ClassDeclarationSyntax syntax)
            {
                return new JinjaParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            var diagnostics = new List<DiagnosticInfo>();
            AttributeData attribute = context.Attributes[0];
            EquatableArray<ContainingTypeSpec> containing = ClassShape(symbol, syntax, diagnostics, cancellationToken, out bool shapeOk);
            string source = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
            string? bos = Named(attribute, "Bos");
            string? eos = Named(attribute, "Eos");
            SyntaxToken? literal = TemplateLiteral(attribute, cancellationToken);
            bool ok = Check(source, symbol.Name, diagnostics, (line, column, length) => LocateInLiteral(literal, line, column, length) ?? syntax.Identifier.GetLocation(), NamedStrings(attribute, "Inputs"));
            JinjaSpec? spec = ok && shapeOk ? new JinjaSpec(Namespace(symbol), containing, symbol.Name, source, bos, eos) : null;
            return new JinjaParseResult(spec, new EquatableArray<DiagnosticInfo>(diagnostics));
        }

        public static JinjaFileRequest? ParseFileRequest(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol symbol || context.TargetNode is not ClassDeclarationSyntax syntax)
            {
                return null;
            }

            var diagnostics = new List<DiagnosticInfo>();
            AttributeData attribute = context.Attributes[0];
            EquatableArray<ContainingTypeSpec> containing = ClassShape(symbol, syntax, diagnostics, cancellationToken, out bool shapeOk);
            string path = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
            Location? pathLocation = TemplateLiteral(attribute, cancellationToken)?.GetLocation() ?? syntax.Identifier.GetLocation();
            return new JinjaFileRequest(Namespace(symbol), containing, symbol.Name, path, Named(attribute, "Name"), Named(attribute, "Bos"), Named(attribute, "Eos"),
                LocationInfo.From(pathLocation), new EquatableArray<DiagnosticInfo>(diagnostics), !shapeOk, NamedStrings(attribute, "Inputs"));
        }

        /// <summary>Whether an additional file's path ends with the requested path (separators normalised).</summary>
        public static bool Matches(string filePath, string requested)
        {
            string wanted = requested.Replace('\\', '/').TrimStart('.', '/');
            string p = filePath.Replace('\\', '/');
            return wanted.Length > 0 && (p == wanted || p.EndsWith("/" + wanted, System.StringComparison.Ordinal));
        }

        public static bool IsWanted(string filePath, EquatableArray<string> requested) => requested.Any(r => Matches(filePath, r));

        public static JinjaParseResult ResolveFile(JinjaFileRequest request, EquatableArray<AdditionalFileSpec> files)
        {
            var diagnostics = new List<DiagnosticInfo>(request.Diagnostics);
            AdditionalFileSpec? file = files.FirstOrDefault(f => Matches(f.Path, request.Path));
            if (file is null)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.JinjaFileNotFound, request.PathLocation, new EquatableArray<string>(new[] { request.ClassName, request.Path })));
                return new JinjaParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            string source;
            string? bos = request.Bos, eos = request.Eos;
            int templateOffset = -1;
            if (file.Path.EndsWith(".json", System.StringComparison.OrdinalIgnoreCase))
            {
                string? error = Parley.Jinja.Syntax.TokenizerConfigReader.Read(file.Text, request.TemplateName, out source, out string? fileBos, out string? fileEos, out templateOffset);
                if (error is not null)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.JinjaFileInvalid, request.PathLocation, new EquatableArray<string>(new[] { request.Path, request.ClassName, error })));
                    return new JinjaParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
                }

                bos ??= fileBos;
                eos ??= fileEos;
            }
            else
            {
                source = file.Text;
            }

            bool isJson = file.Path.EndsWith(".json", System.StringComparison.OrdinalIgnoreCase);
            bool ok = Check(source, request.ClassName, diagnostics, (line, column, length) =>
            {
                if (isJson)
                {
                    // The template is a JSON string: point at its characters in the file, escapes accounted for.
                    if (templateOffset < 0)
                    {
                        return request.PathLocation?.ToLocation() ?? Location.None;
                    }

                    int valueStart = OffsetOf(source, line, column);
                    int start = JsonStringOffset(file.Text, templateOffset, valueStart);
                    int end = JsonStringOffset(file.Text, templateOffset, System.Math.Min(source.Length, valueStart + length));
                    return Location.Create(file.Path, TextSpan.FromBounds(start, System.Math.Max(start, end)), new LinePositionSpan(PositionOf(file.Text, start), PositionOf(file.Text, System.Math.Max(start, end))));
                }

                int offset = OffsetOf(file.Text, line, column);
                LinePosition position = new(line - 1, column - 1);
                return Location.Create(file.Path, new TextSpan(offset, length), new LinePositionSpan(position, new LinePosition(line - 1, column - 1 + length)));
            }, request.Inputs);
            JinjaSpec? spec = ok && !request.HasErrors ? new JinjaSpec(request.Namespace, request.ContainingTypes, request.ClassName, source, bos, eos, request.Accessibility, request.Accessibility is null ? null : request.PathLocation) : null;
            return new JinjaParseResult(spec, new EquatableArray<DiagnosticInfo>(diagnostics));
        }

        private static bool Check(string source, string className, List<DiagnosticInfo> diagnostics, System.Func<int, int, int, Location> locate, EquatableArray<string> inputs)
        {
            var problems = new List<JinjaProblem>();
            JTemplate? template = JinjaChecks.Check(source, problems, inputs);
            foreach (JinjaProblem problem in problems)
            {
                DiagnosticDescriptor descriptor = problem.Kind switch
                {
                    "syntax" => DiagnosticDescriptors.JinjaSyntaxError,
                    "unsupported" => DiagnosticDescriptors.JinjaUnsupported,
                    "undefined" => DiagnosticDescriptors.JinjaUndefinedName,
                    _ => DiagnosticDescriptors.JinjaUnknownName,
                };
                diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(locate(problem.Line, problem.Column, problem.Length)) ?? ExternalLocation(locate(problem.Line, problem.Column, problem.Length)),
                    new EquatableArray<string>(new[] { className, problem.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.Column.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.Message })));
            }

            return template is not null && problems.All(p => p.IsWarning);
        }

        private static LocationInfo? ExternalLocation(Location location) =>
            location.Kind == LocationKind.ExternalFile ? new LocationInfo(location.GetLineSpan().Path, location.SourceSpan, location.GetLineSpan().Span) : null;

        // Maps an offset into a JSON string's decoded value to the file offset of that character (quote at quoteOffset).
        private static int JsonStringOffset(string json, int quoteOffset, int valueOffset)
        {
            int p = quoteOffset + 1;
            for (int v = 0; v < valueOffset && p < json.Length && json[p] != '"'; v++)
            {
                p += json[p] != '\\' ? 1 : p + 1 < json.Length && json[p + 1] == 'u' ? 6 : 2;
            }

            return System.Math.Min(p, json.Length);
        }

        private static LinePosition PositionOf(string text, int offset)
        {
            int line = 0, lineStart = 0;
            for (int i = 0; i < offset && i < text.Length; i++)
            {
                if (text[i] == '\n')
                {
                    line++;
                    lineStart = i + 1;
                }
            }

            return new LinePosition(line, offset - lineStart);
        }

        private static int OffsetOf(string text, int line, int column)
        {
            int offset = 0;
            for (int l = 1; l < line && offset < text.Length; offset++)
            {
                if (text[offset] == '\n' || (text[offset] == '\r' && (offset + 1 >= text.Length || text[offset + 1] != '\n')))
                {
                    l++;
                }
            }

            return System.Math.Min(text.Length, offset + column - 1);
        }

        private static EquatableArray<ContainingTypeSpec> ClassShape(INamedTypeSymbol symbol, ClassDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken, out bool ok)
        {
            bool shapeOk = symbol.IsStatic && syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
            bool generic = symbol.IsGenericType;
            var containing = new List<ContainingTypeSpec>();
            for (INamedTypeSymbol? type = symbol.ContainingType; type is not null; type = type.ContainingType)
            {
                generic |= type.IsGenericType;
                TypeDeclarationSyntax? declaration = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
                if (declaration is null || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    shapeOk = false;
                }

                string keyword = declaration switch
                {
                    RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
                    RecordDeclarationSyntax => "record",
                    StructDeclarationSyntax => "struct",
                    InterfaceDeclarationSyntax => "interface",
                    _ => "class",
                };
                containing.Insert(0, new ContainingTypeSpec(keyword, type.Name));
            }

            LocationInfo? identifier = LocationInfo.From(syntax.Identifier.GetLocation());
            if (!shapeOk)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.ClassMustBeStaticPartial, identifier, new EquatableArray<string>(new[] { symbol.Name })));
            }

            if (generic)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.GenericClass, identifier, new EquatableArray<string>(new[] { symbol.Name })));
            }

            ok = shapeOk && !generic;
            return new EquatableArray<ContainingTypeSpec>(containing);
        }

        private static string? Namespace(INamedTypeSymbol symbol) =>
            symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null;

        private static EquatableArray<string> NamedStrings(AttributeData attribute, string name)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && !argument.Value.IsNull && argument.Value.Kind == TypedConstantKind.Array)
                {
                    return new EquatableArray<string>(argument.Value.Values.Select(v => v.Value as string).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!));
                }
            }

            return EquatableArray<string>.Empty;
        }

        private static string? Named(AttributeData attribute, string name)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Value is string { Length: > 0 } value)
                {
                    return value;
                }
            }

            return null;
        }

        private static SyntaxToken? TemplateLiteral(AttributeData attribute, CancellationToken cancellationToken)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList.Arguments: { Count: > 0 } arguments }
                && arguments[0].Expression is LiteralExpressionSyntax literal)
            {
                return literal.Token;
            }

            return null;
        }

        // Maps a template position (1-based line/column of the value, newlines normalised) into the literal's source text.
        private static Location? LocateInLiteral(SyntaxToken? maybeToken, int line, int column, int length)
        {
            if (maybeToken is not { } token || token.SyntaxTree is null)
            {
                return null;
            }

            string value = token.ValueText;
            int valueOffset = OffsetOf(value, line, column);
            int? tokenOffset = StringLiteralOffsets.Map(token.Text, value, valueOffset);
            if (tokenOffset is null)
            {
                return token.GetLocation();
            }

            int end = StringLiteralOffsets.Map(token.Text, value, System.Math.Min(value.Length, valueOffset + length)) ?? tokenOffset.Value;
            return Location.Create(token.SyntaxTree, TextSpan.FromBounds(token.SpanStart + tokenOffset.Value, token.SpanStart + System.Math.Max(end, tokenOffset.Value)));
        }
    }
}
