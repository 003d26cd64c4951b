namespace Parley.Data;

/// <summary>The shape of a training row, detected from its columns as HF TRL does, or chosen.</summary>
public enum DatasetFormat
{
    /// <summary>Detect from the first good row: <c>messages</c>/<c>conversations</c>, else <c>prompt</c> + <c>completion</c>, else the text column.</summary>
    Auto,

    /// <summary>A conversation: <c>messages: [{role, content}]</c> or ShareGPT <c>conversations: [{from, value}]</c>.</summary>
    Conversational,

    /// <summary>An instruction pair: <c>prompt</c> and <c>completion</c> strings.</summary>
    PromptCompletion,

    /// <summary>Pre-formatted text in one column (<c>text</c> by default); the template is already applied.</summary>
    Text,
}
