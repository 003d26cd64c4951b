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
using Parley.Generators.Model;

namespace Parley.Generators.Parsing
{
    /// <summary>Turns an attributed class into a <see cref="TemplateSpec"/> and the diagnostics its declaration deserves.</summary>
    internal sealed class TemplateParser
    {
        public const string ChatTemplateAttribute = "Parley.ChatTemplateAttribute";
        public const string PromptCompletionTemplateAttribute = "Parley.PromptCompletionTemplateAttribute";
        private const string TurnAttribute = "Parley.TurnAttribute";
        private const string GenerationPromptAttribute = "Parley.GenerationPromptAttribute";
        private const string ConversationStartAttribute = "Parley.ConversationStartAttribute";
        private const string ConversationEndAttribute = "Parley.ConversationEndAttribute";
        private const string InstructionMarkerAttribute = "Parley.InstructionMarkerAttribute";
        private const string ResponseMarkerAttribute = "Parley.ResponseMarkerAttribute";
        private const string SpecialTokenAttribute = "Parley.SpecialTokenAttribute";

        private readonly INamedTypeSymbol _symbol;
        private readonly ClassDeclarationSyntax _syntax;
        private readonly ImmutableArray<AttributeData> _attributes;
        private readonly CancellationToken _cancellationToken;
        private readonly List<DiagnosticInfo> _diagnostics = new();
        private bool _hasErrors;

        private TemplateParser(INamedTypeSymbol symbol, ClassDeclarationSyntax syntax, CancellationToken cancellationToken)
        {
            _symbol = symbol;
            _syntax = syntax;
            _attributes = symbol.GetAttributes();
            _cancellationToken = cancellationToken;
        }

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, TemplateKindSpec kind, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol symbol || context.TargetNode is not ClassDeclarationSyntax syntax)
            {
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            return new TemplateParser(symbol, syntax, cancellationToken).Parse(kind);
        }

        private ParseResult Parse(TemplateKindSpec kind)
        {
            AttributeData? structured = Find(ChatTemplateAttribute);
            AttributeData? promptCompletion = Find(PromptCompletionTemplateAttribute);
            if (structured is not null && promptCompletion is not null)
            {
                // Both pipelines see this class; only the structured one speaks, so the error is reported once.
                if (kind == TemplateKindSpec.PromptCompletion)
                {
                    return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
                }

                Report(DiagnosticDescriptors.ConflictingTemplateAttributes, _syntax.Identifier.GetLocation(), _symbol.Name);
                return Result(null);
            }

            AttributeData? main = kind == TemplateKindSpec.Structured ? structured : promptCompletion;
            if (main is null)
            {
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            EquatableArray<ContainingTypeSpec> containingTypes = ParseClassShape();
            TokenValues tokens = ParseTokens(main);

            TemplateSpec? spec = kind == TemplateKindSpec.Structured
                ? ParseStructured(main, tokens, containingTypes)
                : ParsePromptCompletion(main, tokens, containingTypes);
            return Result(_hasErrors ? null : spec);
        }

        private EquatableArray<ContainingTypeSpec> ParseClassShape()
        {
            Location identifier = _syntax.Identifier.GetLocation();
            bool isPartial = _syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
            bool shapeOk = _symbol.IsStatic && isPartial;

            var containing = new List<ContainingTypeSpec>();
            bool generic = _symbol.IsGenericType;
            for (INamedTypeSymbol? type = _symbol.ContainingType; type is not null; type = type.ContainingType)
            {
                generic |= type.IsGenericType;
                var declaration = type.DeclaringSyntaxReferences
                    .Select(r => r.GetSyntax(_cancellationToken))
                    .OfType<TypeDeclarationSyntax>()
                    .FirstOrDefault();
                if (declaration is null || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    shapeOk = false;
                }

                containing.Insert(0, new ContainingTypeSpec(KeywordOf(declaration), type.Name));
            }

            if (!shapeOk)
            {
                Report(DiagnosticDescriptors.ClassMustBeStaticPartial, identifier, _symbol.Name);
            }

            if (generic)
            {
                Report(DiagnosticDescriptors.GenericClass, identifier, _symbol.Name);
            }

            return new EquatableArray<ContainingTypeSpec>(containing);
        }

        private static string KeywordOf(TypeDeclarationSyntax? declaration) => declaration switch
        {
            RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
            RecordDeclarationSyntax => "record",
            StructDeclarationSyntax => "struct",
            InterfaceDeclarationSyntax => "interface",
            _ => "class",
        };

        private TokenValues ParseTokens(AttributeData main)
        {
            string? bos = NullIfEmpty(GetNamed(main, "Bos"));
            string? eos = NullIfEmpty(GetNamed(main, "Eos"));
            string? pad = NullIfEmpty(GetNamed(main, "Pad"));
            string? unk = NullIfEmpty(GetNamed(main, "Unk"));

            if (eos is null)
            {
                Report(DiagnosticDescriptors.MissingEos, AttributeLocation(main), _symbol.Name);
            }
            else
            {
                if (pad == eos)
                {
                    Report(DiagnosticDescriptors.PadEqualsEos, ArgumentLocation(main, "Pad"), eos, _symbol.Name);
                }

                if (bos == eos)
                {
                    Report(DiagnosticDescriptors.BosEqualsEos, ArgumentLocation(main, "Bos"), eos, _symbol.Name);
                }
            }

            return new TokenValues(bos, eos ?? "", pad, unk);
        }

        private TemplateSpec ParseStructured(AttributeData main, TokenValues tokens, EquatableArray<ContainingTypeSpec> containingTypes)
        {
            var turns = new List<TurnSpec>();
            var seenRoles = new HashSet<string>(System.StringComparer.Ordinal);
            foreach (AttributeData turn in FindAll(TurnAttribute))
            {
                _cancellationToken.ThrowIfCancellationRequested();
                string role = GetConstructorString(turn, 0) ?? "";
                if (role.Length == 0)
                {
                    Report(DiagnosticDescriptors.EmptyRole, AttributeLocation(turn), _symbol.Name);
                    continue;
                }

                if (!seenRoles.Add(role))
                {
                    Report(DiagnosticDescriptors.DuplicateRole, AttributeLocation(turn), role, _symbol.Name);
                    continue;
                }

                string prefix = Expand(turn, GetNamed(turn, "Prefix") as string ?? "", new ArgumentRef("Prefix"), $"the Prefix of turn '{role}'", tokens, role);
                string suffix = Expand(turn, GetNamed(turn, "Suffix") as string ?? "", new ArgumentRef("Suffix"), $"the Suffix of turn '{role}'", tokens, role);
                bool train = GetNamed(turn, "Train") is true;
                turns.Add(new TurnSpec(role, prefix, suffix, train));
            }

            Location? classLocation = _syntax.Identifier.GetLocation();
            if (turns.Count == 0 && !_hasErrors)
            {
                Report(DiagnosticDescriptors.NoTurns, classLocation, _symbol.Name);
            }

            string? generationPrompt = ExpandSingle(GenerationPromptAttribute, "the generation prompt", tokens);
            string conversationStart = ExpandSingle(ConversationStartAttribute, "the conversation start", tokens) ?? "";
            string conversationEnd = ExpandSingle(ConversationEndAttribute, "the conversation end", tokens) ?? "";

            // Without a declared generation prompt, a generation opens the first trained turn, as HF templates do.
            generationPrompt ??= turns.FirstOrDefault(t => t.Train)?.Prefix;

            var trained = turns.Where(t => t.Train).ToList();
            if (turns.Count > 0 && trained.Count == 0)
            {
                Report(DiagnosticDescriptors.NothingTrained, AttributeLocation(main), _symbol.Name);
            }

            if (tokens.Eos.Length > 0 && trained.Count > 0
                && !conversationEnd.Contains(tokens.Eos)
                && !trained.All(t => t.Suffix.Contains(tokens.Eos)))
            {
                Report(DiagnosticDescriptors.MissingEosAtEnd, AttributeLocation(main), _symbol.Name, tokens.Eos);
            }

            string? responseMarker = CheckMarker(ResponseMarkerAttribute, DiagnosticDescriptors.ResponseMarkerNotInTemplate,
                marker => trained.Any(t => t.Prefix.Contains(marker)) || (generationPrompt?.Contains(marker) ?? false));
            string? instructionMarker = CheckMarker(InstructionMarkerAttribute, DiagnosticDescriptors.InstructionMarkerNotInTemplate,
                marker => turns.Any(t => !t.Train && t.Prefix.Contains(marker)));
            MarkerIds markerIds = ParseMarkerIds(responseMarker, instructionMarker);

            return new TemplateSpec(
                Namespace(), containingTypes, _symbol.Name, TemplateKindSpec.Structured,
                tokens.Bos, tokens.Eos, tokens.Pad, tokens.Unk,
                new EquatableArray<TurnSpec>(turns), generationPrompt, conversationStart, conversationEnd,
                instructionMarker, responseMarker, markerIds.Instruction, markerIds.Response, SpecialTokens(tokens), PromptCompletion: null);
        }

        private TemplateSpec ParsePromptCompletion(AttributeData main, TokenValues tokens, EquatableArray<ContainingTypeSpec> containingTypes)
        {
            string pattern = GetConstructorString(main, 0) ?? "";
            var pieces = new List<TemplatePiece>();
            var segments = new[] { new StringBuilder(), new StringBuilder(), new StringBuilder() };
            int segment = 0;
            string? problem = null;
            var argument = new ArgumentRef(position: 0);

            if (!PlaceholderText.TrySplit(pattern, pieces, out PlaceholderError error))
            {
                ReportPlaceholder(main, argument, error.Message, error.Offset, error.Length, "the pattern", tokens, role: null, promptCompletion: true);
            }
            else
            {
                foreach (TemplatePiece piece in pieces)
                {
                    if (!piece.IsPlaceholder)
                    {
                        segments[segment].Append(piece.Text);
                    }
                    else if (piece.Text == "prompt")
                    {
                        if (segment != 0)
                        {
                            problem ??= segment == 1 ? "{prompt} occurs twice" : "{prompt} comes after {completion}";
                        }

                        segment = 1;
                    }
                    else if (piece.Text == "completion")
                    {
                        if (segment == 2)
                        {
                            problem ??= "{completion} occurs twice";
                        }
                        else if (segment == 0)
                        {
                            problem ??= "{completion} comes before {prompt}";
                        }

                        segment = 2;
                    }
                    else
                    {
                        segments[segment].Append(ResolveToken(main, argument, piece, "the pattern", tokens, role: null, promptCompletion: true));
                    }
                }

                if (problem is null && segment != 2)
                {
                    problem = segment == 0 ? "{prompt} and {completion} are missing" : "{completion} is missing";
                }

                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.BadPromptCompletionPattern, ArgumentLocation(main, argument), _symbol.Name, problem);
                }
            }

            var spec = new PromptCompletionSpec(segments[0].ToString(), segments[1].ToString(), segments[2].ToString());
            if (tokens.Eos.Length > 0 && problem is null && !spec.AfterCompletion.Contains(tokens.Eos))
            {
                Report(DiagnosticDescriptors.MissingEosAtEnd, AttributeLocation(main), _symbol.Name, tokens.Eos);
            }

            string? responseMarker = CheckMarker(ResponseMarkerAttribute, DiagnosticDescriptors.ResponseMarkerNotInTemplate,
                marker => spec.BeforeCompletion.Contains(marker));
            string? instructionMarker = CheckMarker(InstructionMarkerAttribute, DiagnosticDescriptors.InstructionMarkerNotInTemplate,
                marker => spec.BeforePrompt.Contains(marker));
            MarkerIds markerIds = ParseMarkerIds(responseMarker, instructionMarker);

            var turns = new EquatableArray<TurnSpec>(new[]
            {
                new TurnSpec("user", spec.BeforePrompt, "", Train: false),
                new TurnSpec("assistant", spec.BeforeCompletion, spec.AfterCompletion, Train: true),
            });

            return new TemplateSpec(
                Namespace(), containingTypes, _symbol.Name, TemplateKindSpec.PromptCompletion,
                tokens.Bos, tokens.Eos, tokens.Pad, tokens.Unk,
                turns, spec.BeforeCompletion, ConversationStart: "", ConversationEnd: "",
                instructionMarker, responseMarker, markerIds.Instruction, markerIds.Response, SpecialTokens(tokens), spec);
        }

        private string? CheckMarker(string attributeName, DiagnosticDescriptor descriptor, System.Func<string, bool> occurs)
        {
            AttributeData? attribute = Find(attributeName);
            if (attribute is null)
            {
                return null;
            }

            string marker = GetConstructorString(attribute, 0) ?? "";
            if (marker.Length == 0 || !occurs(marker))
            {
                Report(descriptor, ArgumentLocation(attribute, new ArgumentRef(position: 0)), marker, _symbol.Name);
            }

            return marker;
        }

        /// <summary>
        /// The markers' declared token ids, which the generated MarkerMask searches for. Both markers must declare them
        /// when both exist: a mask with response ids only would train just the last answer of a multi-turn row.
        /// </summary>
        private MarkerIds ParseMarkerIds(string? responseMarker, string? instructionMarker)
        {
            AttributeData? response = Find(ResponseMarkerAttribute);
            AttributeData? instruction = Find(InstructionMarkerAttribute);
            bool responseDeclared = false, instructionDeclared = false;
            EquatableArray<int> responseIds = response is null ? EquatableArray<int>.Empty : ParseTokenIds(response, responseMarker ?? "", out responseDeclared);
            EquatableArray<int> instructionIds = instruction is null ? EquatableArray<int>.Empty : ParseTokenIds(instruction, instructionMarker ?? "", out instructionDeclared);
            if (instructionDeclared && !responseDeclared)
            {
                Report(DiagnosticDescriptors.InvalidMarkerTokenIds, ArgumentLocation(instruction!, "TokenIds"), instructionMarker ?? "", _symbol.Name,
                    "the response marker declares no TokenIds; declare them too, the generated MarkerMask searches for both");
            }
            else if (responseDeclared && instruction is not null && !instructionDeclared)
            {
                Report(DiagnosticDescriptors.InvalidMarkerTokenIds, ArgumentLocation(response!, "TokenIds"), responseMarker ?? "", _symbol.Name,
                    $"the instruction marker '{instructionMarker}' declares no TokenIds; declare them too, or the generated MarkerMask would train only the last answer of a multi-turn row");
            }

            return new MarkerIds(responseIds, instructionIds);
        }

        private EquatableArray<int> ParseTokenIds(AttributeData attribute, string marker, out bool declared)
        {
            declared = false;
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key != "TokenIds" || argument.Value.IsNull)
                {
                    continue;
                }

                declared = true;
                var ids = argument.Value.Values.Select(v => v.Value is int id ? id : -1).ToList();
                string? problem = ids.Count == 0 ? "the list is empty"
                    : ids.Any(id => id < 0) ? $"token ids are never negative, but {ids.First(id => id < 0)} is"
                    : null;
                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.InvalidMarkerTokenIds, ArgumentLocation(attribute, "TokenIds"), marker, _symbol.Name, problem);
                    return EquatableArray<int>.Empty;
                }

                return new EquatableArray<int>(ids);
            }

            return EquatableArray<int>.Empty;
        }

        private readonly struct MarkerIds
        {
            public MarkerIds(EquatableArray<int> response, EquatableArray<int> instruction)
            {
                Response = response;
                Instruction = instruction;
            }

            public EquatableArray<int> Response { get; }

            public EquatableArray<int> Instruction { get; }
        }

        private EquatableArray<string> SpecialTokens(TokenValues tokens)
        {
            var result = new List<string>();
            void Add(string? token)
            {
                if (!string.IsNullOrEmpty(token) && !result.Contains(token!))
                {
                    result.Add(token!);
                }
            }

            Add(tokens.Bos);
            Add(tokens.Eos);
            Add(tokens.Pad);
            Add(tokens.Unk);
            foreach (AttributeData special in FindAll(SpecialTokenAttribute))
            {
                Add(GetConstructorString(special, 0));
            }

            return new EquatableArray<string>(result);
        }

        private string? ExpandSingle(string attributeName, string where, TokenValues tokens)
        {
            AttributeData? attribute = Find(attributeName);
            return attribute is null
                ? null
                : Expand(attribute, GetConstructorString(attribute, 0) ?? "", new ArgumentRef(position: 0), where, tokens, role: null);
        }

        private string Expand(AttributeData attribute, string text, ArgumentRef argument, string where, TokenValues tokens, string? role)
        {
            var pieces = new List<TemplatePiece>();
            if (!PlaceholderText.TrySplit(text, pieces, out PlaceholderError error))
            {
                ReportPlaceholder(attribute, argument, error.Message, error.Offset, error.Length, where, tokens, role, promptCompletion: false);
                return text;
            }

            var result = new StringBuilder(text.Length);
            foreach (TemplatePiece piece in pieces)
            {
                result.Append(piece.IsPlaceholder ? ResolveToken(attribute, argument, piece, where, tokens, role, promptCompletion: false) : piece.Text);
            }

            return result.ToString();
        }

        private string ResolveToken(AttributeData attribute, ArgumentRef argument, TemplatePiece piece, string where, TokenValues tokens, string? role, bool promptCompletion)
        {
            string? value = piece.Text switch
            {
                "bos" => tokens.Bos,
                "eos" => tokens.Eos.Length > 0 ? tokens.Eos : null,
                "pad" => tokens.Pad,
                "unk" => tokens.Unk,
                "role" => role,
                _ => null,
            };

            if (value is null)
            {
                bool isToken = piece.Text is "bos" or "eos" or "pad" or "unk";
                string message = isToken
                    ? $"Placeholder '{{{piece.Text}}}' names a token the template does not declare"
                    : $"Unknown placeholder '{{{piece.Text}}}'";
                ReportPlaceholder(attribute, argument, message, piece.Offset, piece.Length, where, tokens, role, promptCompletion);
                return "";
            }

            return value;
        }

        private void ReportPlaceholder(AttributeData attribute, ArgumentRef argument, string message, int offset, int length, string where, TokenValues tokens, string? role, bool promptCompletion)
        {
            var allowed = new List<string>();
            if (promptCompletion)
            {
                allowed.Add("{prompt}");
                allowed.Add("{completion}");
            }

            if (tokens.Bos is not null) allowed.Add("{bos}");
            if (tokens.Eos.Length > 0) allowed.Add("{eos}");
            if (tokens.Pad is not null) allowed.Add("{pad}");
            if (tokens.Unk is not null) allowed.Add("{unk}");
            if (role is not null) allowed.Add("{role}");

            Report(DiagnosticDescriptors.BadPlaceholder, ArgumentLocation(attribute, argument, offset, length),
                message, where, allowed.Count == 0 ? "none" : string.Join(", ", allowed));
        }

        private string? Namespace() =>
            _symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null;

        private AttributeData? Find(string metadataName) =>
            _attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

        private IEnumerable<AttributeData> FindAll(string metadataName) =>
            _attributes.Where(a => a.AttributeClass?.ToDisplayString() == metadataName);

        private static string? GetConstructorString(AttributeData attribute, int index) =>
            attribute.ConstructorArguments.Length > index ? attribute.ConstructorArguments[index].Value as string : null;

        private static object? GetNamed(AttributeData attribute, string name)
        {
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name)
                {
                    return argument.Value.Value;
                }
            }

            return null;
        }

        private static string? NullIfEmpty(object? value) => value is string { Length: > 0 } text ? text : null;

        private Location? AttributeLocation(AttributeData attribute) =>
            attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken).GetLocation() ?? _syntax.Identifier.GetLocation();

        private Location? ArgumentLocation(AttributeData attribute, string name) => ArgumentLocation(attribute, new ArgumentRef(name));

        /// <summary>
        /// The location of an attribute argument; with an offset, the exact characters inside a plain string literal
        /// (where the literal has no escapes, so value offsets equal source offsets).
        /// </summary>
        private Location? ArgumentLocation(AttributeData attribute, ArgumentRef argument, int offset = -1, int length = 0)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) is not AttributeSyntax syntax)
            {
                return _syntax.Identifier.GetLocation();
            }

            AttributeArgumentSyntax? found = null;
            if (syntax.ArgumentList is { } list)
            {
                int positional = 0;
                foreach (AttributeArgumentSyntax candidate in list.Arguments)
                {
                    if (candidate.NameEquals is { } nameEquals)
                    {
                        if (argument.Name is not null && nameEquals.Name.Identifier.ValueText == argument.Name)
                        {
                            found = candidate;
                            break;
                        }
                    }
                    else if (argument.Name is null && positional++ == argument.Position)
                    {
                        found = candidate;
                        break;
                    }
                }
            }

            if (found is null)
            {
                return syntax.GetLocation();
            }

            if (offset >= 0
                && found.Expression is LiteralExpressionSyntax literal
                && (literal.Token.IsKind(SyntaxKind.StringLiteralToken) || literal.Token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken) || literal.Token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken))
                && StringLiteralOffsets.Map(literal.Token.Text, literal.Token.ValueText, offset) is int start)
            {
                // Escapes such as \n before or inside the placeholder make value and source offsets differ.
                int end = StringLiteralOffsets.Map(literal.Token.Text, literal.Token.ValueText, System.Math.Min(literal.Token.ValueText.Length, offset + length)) ?? start + length;
                return Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(literal.Token.SpanStart + start, literal.Token.SpanStart + System.Math.Max(start, end)));
            }

            return found.GetLocation();
        }

        private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        {
            if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
            {
                _hasErrors = true;
            }

            _diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(location), new EquatableArray<string>(arguments)));
        }

        private ParseResult Result(TemplateSpec? spec) => new(spec, new EquatableArray<DiagnosticInfo>(_diagnostics));

        private readonly struct TokenValues
        {
            public TokenValues(string? bos, string eos, string? pad, string? unk)
            {
                Bos = bos;
                Eos = eos;
                Pad = pad;
                Unk = unk;
            }

            public string? Bos { get; }

            /// <summary>The EOS token, or empty when the template declares none (already reported).</summary>
            public string Eos { get; }

            public string? Pad { get; }

            public string? Unk { get; }
        }

        /// <summary>Names an attribute argument: by property name, or by constructor position.</summary>
        private readonly struct ArgumentRef
        {
            public ArgumentRef(string name)
            {
                Name = name;
                Position = -1;
            }

            public ArgumentRef(int position)
            {
                Name = null;
                Position = position;
            }

            public string? Name { get; }

            public int Position { get; }
        }
    }
}
