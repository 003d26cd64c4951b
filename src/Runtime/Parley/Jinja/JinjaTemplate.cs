using System.ComponentModel;
using System.Text.Json;
using Parley.Jinja.Syntax;

namespace Parley.Jinja;

/// <summary>How <see cref="JinjaTemplate.Parse"/> reads and renders a template.</summary>
/// <example>
/// <code>
/// var options = new JinjaTemplateOptions { Name = "qwen3", Bos = null, Eos = "&lt;|im_end|&gt;" };
/// JinjaTemplate template = JinjaTemplate.Parse(chatTemplate, options);
/// </code>
/// </example>
public sealed record JinjaTemplateOptions
{
    /// <summary>The defaults: no special tokens, default limits.</summary>
    public static JinjaTemplateOptions Default { get; } = new();

    /// <summary>The template's name in <see cref="TemplateInfo"/> and in error messages.</summary>
    public string Name { get; init; } = "JinjaTemplate";

    /// <summary>The value of <c>bos_token</c> unless the variables give one.</summary>
    public string? Bos { get; init; }

    /// <summary>The value of <c>eos_token</c> unless the variables give one.</summary>
    public string? Eos { get; init; }

    /// <summary>Limits and clock for every rendering.</summary>
    public JinjaRenderOptions Render { get; init; } = JinjaRenderOptions.Default;
}

/// <summary>
/// A Jinja chat template read at run time — a model's <c>chat_template</c> from anywhere — with the surface of a
/// compiled one: <see cref="Render"/> for the full variable model, <see cref="IChatTemplate"/> (Format, TryFormat with
/// trainable and content ranges) for plain conversations. <see cref="Parse"/> interprets the template (no Roslyn, no
/// disk: the RegexInterpreter of Parley); the generator compiles the same front end at build time, and a run-time
/// compiled instance can wrap its render method with <see cref="FromRenderer"/>. Every path enforces
/// <see cref="JinjaLimits"/>. Instances are immutable and safe to share between threads.
/// </summary>
/// <example>
/// <code>
/// JinjaTemplate qwen = JinjaTemplate.FromTokenizerConfig(File.ReadAllText("tokenizer_config.json"));
/// string text = qwen.Format([new ChatMessage("user", "Hi")], addGenerationPrompt: true);
/// using var vars = JsonDocument.Parse("""{"messages": [{"role": "user", "content": "Hi"}], "enable_thinking": false}""");
/// string rendered = qwen.Render(vars.RootElement);
/// </code>
/// </example>
public sealed class JinjaTemplate : IChatTemplate
{
    private readonly JinjaRenderer _render;
    private readonly JinjaTemplateOptions _options;

    private JinjaTemplate(JinjaRenderer render, JinjaTemplateOptions options)
    {
        _render = render;
        _options = options;
        string[] special = new[] { options.Bos, options.Eos }.Where(t => t is { Length: > 0 }).Distinct().Select(t => t!).ToArray();
        Info = new TemplateInfo(options.Name, TemplateKind.Jinja, options.Bos, options.Eos ?? "", null, null, Array.AsReadOnly(Array.Empty<TurnInfo>()),
            null, null, null, null, null, Array.AsReadOnly(special));
    }

    /// <inheritdoc/>
    public TemplateInfo Info { get; }

    /// <summary>The options the template was read with.</summary>
    public JinjaTemplateOptions Options => _options;

    /// <summary>Reads <paramref name="template"/> for interpretation.</summary>
    /// <param name="template">The Jinja source (a <c>chat_template</c>).</param>
    /// <param name="options">Name, special tokens and limits; <see cref="JinjaTemplateOptions.Default"/> when null.</param>
    /// <exception cref="TemplateException">
    /// The template does not parse, uses a filter, test or feature Parley does not support, or nests deeper than
    /// <see cref="JinjaLimits.MaxNesting"/>; the message gives the line and column (<see cref="ParleyException.Line"/>).
    /// </exception>
    public static JinjaTemplate Parse(string template, JinjaTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        options ??= JinjaTemplateOptions.Default;
        return new JinjaTemplate(new JinjaInterpreter(ParseChecked(template, options)).Render, options);
    }

    /// <summary>
    /// Reads a HF <c>tokenizer_config.json</c>: its <c>chat_template</c> (a string, or the template named
    /// <paramref name="name"/> — default <c>default</c> — of a list) and its <c>bos_token</c>/<c>eos_token</c>, which
    /// override those of <paramref name="options"/>.
    /// </summary>
    /// <exception cref="TemplateException">The file holds no usable template (the message says what to change), or the template does not parse.</exception>
    public static JinjaTemplate FromTokenizerConfig(string json, JinjaTemplateOptions? options = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        string? problem = TokenizerConfigReader.Read(json, name, out string template, out string? bos, out string? eos);
        if (problem is not null) throw new TemplateException("tokenizer_config.json: " + problem);
        options ??= JinjaTemplateOptions.Default;
        return Parse(template, options with { Bos = bos ?? options.Bos, Eos = eos ?? options.Eos });
    }

    /// <summary>Wraps a render method (a run-time compiled template's) in the same surface; for Parley's tools.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static JinjaTemplate FromRenderer(JinjaRenderer render, JinjaTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(render);
        return new JinjaTemplate(render, options ?? JinjaTemplateOptions.Default);
    }

    /// <summary>Parses with the checks the generator makes (unknown filters, tests, unsupported features are errors).</summary>
    internal static JTemplate ParseChecked(string template, JinjaTemplateOptions options)
    {
        JTemplate parsed;
        try
        {
            parsed = JinjaParser.Parse(template, options.Render.Limits.MaxNesting);
        }
        catch (JinjaSyntaxException e)
        {
            TemplateException error = e.Limit is not null
                ? TemplateException.ForLimit("Template limit " + e.Limit + " exceeded: " + e.Message, e.Limit)
                : new TemplateException("Template '" + options.Name + "': " + e.Message);
            throw error.At(e.Line, e.Column);
        }

        var problems = new List<JinjaProblem>();
        JinjaChecks.Report(parsed, problems, null);
        if (problems.FirstOrDefault(p => !p.IsWarning) is { } first)
        {
            throw new TemplateException("Template '" + options.Name + "': " + first.Message).At(first.Line, first.Column);
        }

        return parsed;
    }

    /// <summary>Renders with the full variable model (<c>messages</c> with any fields, <c>tools</c>, <c>documents</c>, custom flags).</summary>
    /// <exception cref="TemplateException">The template raised an exception, hit a run-time error or exceeded a limit.</exception>
    public string Render(JsonElement variables) => JinjaFormatting.Render(_render, variables, _options.Bos, _options.Eos, _options.Render);

    /// <inheritdoc/>
    public string Format(ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        var options = new FormatOptions { AddGenerationPrompt = addGenerationPrompt };
        return JinjaFormatting.FormatText(_render, messages, in options, _options.Bos, _options.Eos, Info.Name, _options.Render);
    }

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount) =>
        JinjaFormatting.TryFormat(_render, messages, in options, _options.Bos, _options.Eos, Info.Name, destination, out charsWritten, trainable, collectTrainable: true, out trainableCount, default, collectContent: false, out _, _options.Render);

    /// <inheritdoc/>
    public bool TryFormat(ReadOnlySpan<ChatMessage> messages, Span<char> destination, out int charsWritten, in FormatOptions options, Span<TextRange> trainable, out int trainableCount, Span<TextRange> content, out int contentCount) =>
        JinjaFormatting.TryFormat(_render, messages, in options, _options.Bos, _options.Eos, Info.Name, destination, out charsWritten, trainable, collectTrainable: true, out trainableCount, content, collectContent: true, out contentCount, _options.Render);

    /// <inheritdoc/>
    public int GetMaxLength(ReadOnlySpan<ChatMessage> messages, in FormatOptions options) =>
        JinjaFormatting.MeasureLength(_render, messages, in options, _options.Bos, _options.Eos, Info.Name, _options.Render);

    /// <inheritdoc/>
    public override string ToString() => Info.ToString();
}
