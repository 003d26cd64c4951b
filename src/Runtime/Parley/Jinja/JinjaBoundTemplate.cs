#if NET
using System.ComponentModel;

namespace Parley.Jinja;

/// <summary>
/// A compiled Jinja template bound to other special tokens: <c>bos_token</c> and <c>eos_token</c> render as given and
/// <see cref="Info"/> reports them. Generated code returns one from <c>WithSpecialTokens</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class JinjaBoundTemplate : IChatTemplate
{
    private readonly JinjaRenderer _render;
    private readonly string? _bos;
    private readonly string? _eos;
    private readonly JinjaMessageRenderer? _typed;

    /// <summary>Binds <paramref name="render"/> (a generated template's render method) to the tokens.</summary>
    public JinjaBoundTemplate(JinjaRenderer render, TemplateInfo info, string? bos, string? eos)
        : this(render, info, bos, eos, typed: null)
    {
    }

    /// <summary>Binds a generated template's render method and its typed formatter for plain conversations to the tokens.</summary>
    public JinjaBoundTemplate(JinjaRenderer render, TemplateInfo info, string? bos, string? eos, JinjaMessageRenderer? typed)
    {
        _typed = typed;
        _render = render ?? throw new ArgumentNullException(nameof(render));
        ArgumentNullException.ThrowIfNull(info);
        _bos = bos;
        _eos = eos;
        Info = info.WithSpecialTokens(bos, eos ?? "");
    }

    /// <inheritdoc/>
    public TemplateInfo Info { get; }

    /// <summary>Renders with the full variable model; the bound tokens fill <c>bos_token</c>/<c>eos_token</c> when absent.</summary>
    /// <exception cref="TemplateException">The template raised an exception (<c>raise_exception</c>) or hit a run-time error.</exception>
    public string Render(System.Text.Json.JsonElement variables) => JinjaFormatting.Render(_render, variables, _bos, _eos);

    /// <inheritdoc/>
    public string Format(ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        var options = new FormatOptions { AddGenerationPrompt = addGenerationPrompt };
        return JinjaFormatting.FormatText(_render, messages, in options, _bos, _eos, Info.Name, typed: _typed);
    }

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount) =>
        JinjaFormatting.TryFormat(_render, messages, in options, _bos, _eos, Info.Name, destination, out charsWritten, trainable, collectTrainable: true, out trainableCount, default, collectContent: false, out _, typed: _typed);

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount, Span<TextRange> content, out int contentCount) =>
        JinjaFormatting.TryFormat(_render, messages, in options, _bos, _eos, Info.Name, destination, out charsWritten, trainable, collectTrainable: true, out trainableCount, content, collectContent: true, out contentCount, typed: _typed);

    /// <inheritdoc/>
    public int GetMaxLength(ReadOnlySpan<ChatMessage> messages, in FormatOptions options) =>
        JinjaFormatting.MeasureLength(_render, messages, in options, _bos, _eos, Info.Name, typed: _typed);

    /// <inheritdoc/>
    public override string ToString() => Info.ToString();
}
#endif
