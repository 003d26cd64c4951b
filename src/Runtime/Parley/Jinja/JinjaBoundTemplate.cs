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

    /// <summary>Binds <paramref name="render"/> (a generated template's render method) to the tokens.</summary>
    public JinjaBoundTemplate(JinjaRenderer render, TemplateInfo info, string? bos, string? eos)
    {
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
        return Formatted(messages, in options).Text;
    }

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount)
    {
        JinjaFormatted formatted = Formatted(messages, in options);
        return JinjaFormatting.TryCopy(in formatted, destination, out charsWritten, trainable, collectRanges: true, out trainableCount);
    }

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount, Span<TextRange> content, out int contentCount)
    {
        JinjaFormatted formatted = Formatted(messages, in options);
        return JinjaFormatting.TryCopy(in formatted, destination, out charsWritten, trainable, out trainableCount, content, out contentCount);
    }

    /// <inheritdoc/>
    public int GetMaxLength(ReadOnlySpan<ChatMessage> messages, in FormatOptions options) => Formatted(messages, in options).Text.Length;

    /// <inheritdoc/>
    public override string ToString() => Info.ToString();

    private JinjaFormatted Formatted(ReadOnlySpan<ChatMessage> messages, in FormatOptions options) =>
        JinjaFormatting.Format(_render, messages, in options, _bos, _eos, Info.Name);
}
#endif
