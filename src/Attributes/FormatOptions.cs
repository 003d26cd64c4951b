namespace Parley;

/// <summary>Options for one formatting call, mirroring HF <c>apply_chat_template</c>'s switches.</summary>
/// <example><code>var options = new FormatOptions { AddGenerationPrompt = true };</code></example>
public readonly struct FormatOptions
{
    /// <summary>
    /// Append the template's generation prompt (HF <c>add_generation_prompt=True</c>) instead of the conversation
    /// end, so a model continues with its answer.
    /// </summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>
    /// Leave the final message open: no suffix and no conversation end after it (HF
    /// <c>continue_final_message=True</c>), so a model continues that message. Cannot be combined with
    /// <see cref="AddGenerationPrompt"/>.
    /// </summary>
    public bool ContinueFinalMessage { get; init; }

    /// <summary>No generation prompt, final message closed: the training form.</summary>
    public static FormatOptions Default => default;

    /// <summary>With a generation prompt: the inference form.</summary>
    public static FormatOptions GenerationPrompt => new() { AddGenerationPrompt = true };
}
