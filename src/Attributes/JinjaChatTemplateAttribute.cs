namespace Parley;

/// <summary>
/// Declares a Hugging Face Jinja chat template (a model's <c>chat_template</c>) on a <c>static partial class</c>: the
/// Parley source generator compiles it to C# at build time, rendering exactly what transformers'
/// <c>apply_chat_template</c> renders. The class gets <c>Format</c>, <c>TryFormat</c>, <c>GetMaxLength</c>,
/// <c>Info</c>, <c>Instance</c> and <c>Render(JsonElement)</c> for the full variable model.
/// </summary>
/// <example>
/// <code>
/// [JinjaChatTemplate("{% for m in messages %}&lt;|{{ m.role }}|&gt;\n{{ m.content }}&lt;|end|&gt;\n{% endfor %}", Eos = "&lt;|endoftext|&gt;")]
/// public static partial class Phi3Jinja;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class JinjaChatTemplateAttribute : Attribute
{
    /// <summary>Declares the template.</summary>
    /// <param name="template">The Jinja source, as in a tokenizer_config.json's <c>chat_template</c>.</param>
    public JinjaChatTemplateAttribute(string template) => Template = template;

    /// <summary>The Jinja source.</summary>
    public string Template { get; }

    /// <summary>The value of <c>bos_token</c> when a conversation is formatted.</summary>
    public string? Bos { get; set; }

    /// <summary>The value of <c>eos_token</c> when a conversation is formatted.</summary>
    public string? Eos { get; set; }

    /// <summary>
    /// Variables the template reads beyond <c>apply_chat_template</c>'s standard ones (e.g. <c>enable_thinking</c>),
    /// which the caller passes to <c>Render</c>. Other names the template reads but never defines or tests are
    /// reported as PARLEY022 warnings (they render as jinja2's empty Undefined).
    /// </summary>
    public string[]? Inputs { get; set; }
}

/// <summary>
/// Declares a Hugging Face Jinja chat template read from a file passed to the compiler as <c>AdditionalFiles</c>:
/// a <c>tokenizer_config.json</c> (its <c>chat_template</c>, a string or a list of named templates, and its
/// <c>bos_token</c>/<c>eos_token</c>) or a <c>.jinja</c> file holding the template itself.
/// </summary>
/// <example>
/// <code>
/// // in the .csproj: &lt;AdditionalFiles Include="models/phi3/tokenizer_config.json" /&gt;
/// [JinjaChatTemplateFile("models/phi3/tokenizer_config.json")]
/// public static partial class Phi3Template;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class JinjaChatTemplateFileAttribute : Attribute
{
    /// <summary>Declares the template file.</summary>
    /// <param name="path">The file's path; matched against the end of each additional file's path.</param>
    public JinjaChatTemplateFileAttribute(string path) => Path = path;

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Which of a list of named templates to use (default: <c>default</c>).</summary>
    public string? Name { get; set; }

    /// <summary>Overrides the file's <c>bos_token</c>.</summary>
    public string? Bos { get; set; }

    /// <summary>Overrides the file's <c>eos_token</c>.</summary>
    public string? Eos { get; set; }

    /// <summary>
    /// Variables the template reads beyond <c>apply_chat_template</c>'s standard ones (e.g. <c>enable_thinking</c>),
    /// which the caller passes to <c>Render</c>. Other names the template reads but never defines or tests are
    /// reported as PARLEY022 warnings (they render as jinja2's empty Undefined).
    /// </summary>
    public string[]? Inputs { get; set; }
}
