namespace Parley.Generators.Model
{
    /// <summary>
    /// Everything the emitter needs about one Jinja template class: the template source (already checked) and the
    /// special tokens. Plain data with value equality, so the pipeline caches it.
    /// </summary>
    internal sealed record JinjaSpec(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        string Source,
        string? Bos,
        string? Eos,
        string? Accessibility = null,
        LocationInfo? Origin = null)
    {
        public string HintName =>
            (Namespace is null ? "" : Namespace + ".")
            + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + "."))
            + ClassName + ".g.cs";
    }

    /// <summary>What parsing one Jinja template class yields.</summary>
    internal sealed record JinjaParseResult(JinjaSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

    /// <summary>A <c>[JinjaChatTemplateFile]</c> class before its file is read.</summary>
    internal sealed record JinjaFileRequest(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        string Path,
        string? TemplateName,
        string? Bos,
        string? Eos,
        LocationInfo? PathLocation,
        EquatableArray<DiagnosticInfo> Diagnostics,
        bool HasErrors,
        EquatableArray<string> Inputs,
        string? Accessibility = null);

    /// <summary>An additional file's path and text.</summary>
    internal sealed record AdditionalFileSpec(string Path, string Text);
}
