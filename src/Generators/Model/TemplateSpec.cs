using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Parley.Generators.Model
{
    internal enum TemplateKindSpec
    {
        Structured,
        PromptCompletion,
    }

    /// <summary>A type that encloses the template class; emitted as <c>partial {Keyword} {Name}</c>.</summary>
    internal sealed record ContainingTypeSpec(string Keyword, string Name);

    /// <summary>One role's turn, placeholders already expanded.</summary>
    internal sealed record TurnSpec(string Role, string Prefix, string Suffix, bool Train);

    /// <summary>A prompt/completion pattern cut at its two placeholders.</summary>
    internal sealed record PromptCompletionSpec(string BeforePrompt, string BeforeCompletion, string AfterCompletion);

    /// <summary>
    /// Everything the emitter needs about one template class. Holds no symbols or syntax so that the incremental
    /// pipeline can compare it by value and skip emission when nothing relevant changed.
    /// </summary>
    internal sealed record TemplateSpec(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        TemplateKindSpec Kind,
        string? Bos,
        string Eos,
        string? Pad,
        string? Unk,
        EquatableArray<TurnSpec> Turns,
        string? GenerationPrompt,
        string ConversationStart,
        string ConversationEnd,
        string? InstructionMarker,
        string? ResponseMarker,
        EquatableArray<int> InstructionMarkerIds,
        EquatableArray<int> ResponseMarkerIds,
        EquatableArray<string> SpecialTokens,
        PromptCompletionSpec? PromptCompletion)
    {
        public string HintName =>
            (Namespace is null ? "" : Namespace + ".")
            + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + "."))
            + ClassName + ".g.cs";
    }

    /// <summary>A source location reduced to plain data (a <see cref="Location"/> would pin the syntax tree).</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationInfo? From(Location? location) =>
            location is null || location.SourceTree is null
                ? null
                : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    /// <summary>A diagnostic as plain, equatable data.</summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Descriptor, Location?.ToLocation(), System.Linq.Enumerable.ToArray<object>(Arguments));
    }

    /// <summary>What parsing one class yields: a model to emit (null when errors prevent it) and its diagnostics.</summary>
    internal sealed record ParseResult(TemplateSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
}
