namespace Parley;

/// <summary>
/// A conversation cannot be formatted by a template: a role the template does not declare, a message sequence the
/// template cannot express, or incompatible options. The message names the template, the message index and the role.
/// </summary>
public sealed class TemplateException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    public TemplateException(string message) : base(message) { }

    /// <summary>Creates the exception with a cause.</summary>
    public TemplateException(string message, Exception innerException) : base(message, inner: innerException) { }

    /// <summary>Creates the exception for one message of a conversation.</summary>
    public TemplateException(string message, string? template, int messageIndex, string? role)
        : base(message, field: messageIndex >= 0 ? $"messages[{messageIndex}].role" : null)
    {
        Template = template;
        MessageIndex = messageIndex;
        Role = role;
    }

    // A Jinja error's template position: the base Line holds the template line (there is no file), Column the column.
    private TemplateException(string message, Exception? inner, string? limit, int line, int column, string? template)
        : base(message, line: line, inner: inner)
    {
        Limit = limit;
        Column = column;
        Template = template;
    }

    /// <summary>The template's class name, when known.</summary>
    public string? Template { get; }

    /// <summary>Index of the offending message, or -1 when the error is not about one message.</summary>
    public int MessageIndex { get; } = -1;

    /// <summary>Role of the offending message, when the error is about one.</summary>
    public string? Role { get; }

    /// <summary>
    /// The <see cref="Parley.Jinja.JinjaLimits"/> property a Jinja rendering exceeded (<c>MaxDepth</c>,
    /// <c>MaxOutputLength</c>, <c>MaxSequenceLength</c>, <c>MaxIterations</c>, <c>MaxNesting</c>), or null for other errors.
    /// </summary>
    public string? Limit { get; }

    /// <summary>1-based template column where the error arose, or 0 when unknown (<see cref="ParleyException.Line"/> holds the template line).</summary>
    public int Column { get; }

    internal static TemplateException ForLimit(string message, string limit) => new(message, null, limit, 0, 0, null);

    /// <summary>This error at a template position (the message says where).</summary>
    internal TemplateException At(int line, int column) =>
        new(Message + " (template line " + line + ", column " + column + ")", this, Limit, line, column, Template);

    /// <summary>This error, its message prefixed with the template's name.</summary>
    internal TemplateException ForTemplate(string template) =>
        new("Template '" + template + "': " + Message, null, Limit, (int)Line, Column, template);

    /// <summary>The error for a role that the template does not declare.</summary>
    /// <param name="template">The template's class name.</param>
    /// <param name="messageIndex">Index of the message in the conversation.</param>
    /// <param name="role">The undeclared role (may be null for a default <see cref="ChatMessage"/>).</param>
    /// <param name="declaredRoles">The roles the template declares, comma-separated.</param>
    public static TemplateException UnknownRole(string template, int messageIndex, string? role, string declaredRoles) =>
        new($"Template '{template}' cannot format message {messageIndex}: role '{role ?? "(null)"}' is not declared. Declared roles: {declaredRoles}. Add a [Turn(\"{role}\", ...)] or map the role before formatting.",
            template, messageIndex, role);

    /// <summary>The error for <see cref="FormatOptions.AddGenerationPrompt"/> combined with <see cref="FormatOptions.ContinueFinalMessage"/>.</summary>
    public static TemplateException IncompatibleOptions(string template) =>
        new($"Template '{template}': AddGenerationPrompt and ContinueFinalMessage cannot both be set (a generation prompt opens a new message; continuing keeps the last one open).",
            template, -1, null);

    /// <summary>The error for <see cref="FormatOptions.ContinueFinalMessage"/> on an empty conversation.</summary>
    public static TemplateException NothingToContinue(string template) =>
        new($"Template '{template}': ContinueFinalMessage needs at least one message.", template, -1, null);
}
