namespace Parley;

/// <summary>
/// Declares a structured chat template on a <c>static partial class</c>: the Parley source generator emits an
/// allocation-free formatter (<c>Format</c>, <c>TryFormat</c>, <c>GetMaxLength</c>, <c>Info</c>) for it.
/// Pair it with one <see cref="TurnAttribute"/> per role.
/// </summary>
/// <example>
/// <code>
/// [ChatTemplate(Bos = "&lt;s&gt;", Eos = "&lt;|endoftext|&gt;")]
/// [Turn("user",      Prefix = "&lt;|user|&gt;\n",      Suffix = "&lt;|end|&gt;\n")]
/// [Turn("assistant", Prefix = "&lt;|assistant|&gt;\n", Suffix = "&lt;|end|&gt;\n", Train = true)]
/// [GenerationPrompt("&lt;|assistant|&gt;\n")]
/// [ConversationEnd("{eos}")]
/// public static partial class Phi3Template;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ChatTemplateAttribute : Attribute
{
    /// <summary>The beginning-of-sequence token, e.g. <c>&lt;s&gt;</c>. Usable as <c>{bos}</c> in template strings.</summary>
    public string? Bos { get; set; }

    /// <summary>The end-of-sequence token the model learns to emit. Required; usable as <c>{eos}</c>.</summary>
    public string? Eos { get; set; }

    /// <summary>The padding token, when the model has one. Must differ from <see cref="Eos"/>. Usable as <c>{pad}</c>.</summary>
    public string? Pad { get; set; }

    /// <summary>The unknown-token marker, when the model has one. Usable as <c>{unk}</c>.</summary>
    public string? Unk { get; set; }
}

/// <summary>
/// Declares how messages of one role are written: <c>Prefix</c>, the content, then <c>Suffix</c>.
/// Template strings may use <c>{bos}</c>, <c>{eos}</c>, <c>{pad}</c>, <c>{unk}</c> and <c>{role}</c>;
/// write <c>{{</c> and <c>}}</c> for literal braces.
/// </summary>
/// <example><code>[Turn("assistant", Prefix = "&lt;|im_start|&gt;{role}\n", Suffix = "{eos}\n", Train = true)]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TurnAttribute : Attribute
{
    /// <summary>Declares the turn of <paramref name="role"/>.</summary>
    /// <param name="role">The message role, compared ordinally (e.g. <c>user</c>).</param>
    public TurnAttribute(string role) => Role = role;

    /// <summary>The message role this turn formats.</summary>
    public string Role { get; }

    /// <summary>Text written before the content.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Text written after the content.</summary>
    public string Suffix { get; set; } = "";

    /// <summary>
    /// Whether the model learns this turn: its content, its suffix and, when it is the last message, the
    /// conversation end are reported as trainable ranges. The prefix never is.
    /// </summary>
    public bool Train { get; set; }
}

/// <summary>Text appended when the caller asks for a generation prompt (HF's <c>add_generation_prompt=True</c>).</summary>
/// <example><code>[GenerationPrompt("&lt;|assistant|&gt;\n")]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class GenerationPromptAttribute : Attribute
{
    /// <summary>Declares the generation prompt.</summary>
    public GenerationPromptAttribute(string text) => Text = text;

    /// <summary>The generation prompt text (placeholders allowed).</summary>
    public string Text { get; }
}

/// <summary>Text written once before the first message, e.g. <c>{bos}</c>.</summary>
/// <example><code>[ConversationStart("{bos}")]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ConversationStartAttribute : Attribute
{
    /// <summary>Declares the conversation start.</summary>
    public ConversationStartAttribute(string text) => Text = text;

    /// <summary>The text (placeholders allowed).</summary>
    public string Text { get; }
}

/// <summary>
/// Text written once after the last message when no generation prompt is asked for, typically <c>{eos}</c>:
/// every template should end the conversation with EOS, or the fine-tuned model never learns to stop.
/// </summary>
/// <example><code>[ConversationEnd("{eos}")]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ConversationEndAttribute : Attribute
{
    /// <summary>Declares the conversation end.</summary>
    public ConversationEndAttribute(string text) => Text = text;

    /// <summary>The text (placeholders allowed).</summary>
    public string Text { get; }
}

/// <summary>
/// The marker that starts an instruction (user) turn, for marker-based masking of pre-formatted text
/// (TRL's <c>instruction_template</c>). It must occur in the prefix of a turn that is not trained.
/// </summary>
/// <example><code>[InstructionMarker("&lt;|user|&gt;")]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InstructionMarkerAttribute : Attribute
{
    /// <summary>Declares the instruction marker.</summary>
    public InstructionMarkerAttribute(string marker) => Marker = marker;

    /// <summary>The marker text.</summary>
    public string Marker { get; }

    /// <summary>
    /// The marker's token ids under the tokenizer the data is encoded with, in context (e.g. <c>new[] { 32001 }</c>
    /// for Phi-3's <c>&lt;|assistant|&gt;</c>). When the response marker declares them, the generator emits a
    /// <c>MarkerMask</c> class that searches for these constants; check them against the tokenizer once with
    /// <c>MarkerBinding.Verify</c>.
    /// </summary>
    public int[]? TokenIds { get; set; }
}

/// <summary>
/// The marker that starts a response, for marker-based masking (TRL's <c>response_template</c>). It must occur
/// in the prefix of a trained turn or in the generation prompt, otherwise every row would be masked whole.
/// </summary>
/// <example><code>[ResponseMarker("&lt;|assistant|&gt;")]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ResponseMarkerAttribute : Attribute
{
    /// <summary>Declares the response marker.</summary>
    public ResponseMarkerAttribute(string marker) => Marker = marker;

    /// <summary>The marker text.</summary>
    public string Marker { get; }

    /// <summary>
    /// The marker's token ids under the tokenizer the data is encoded with, in context (e.g. <c>new[] { 32001 }</c>
    /// for Phi-3's <c>&lt;|assistant|&gt;</c>). When the response marker declares them, the generator emits a
    /// <c>MarkerMask</c> class that searches for these constants; check them against the tokenizer once with
    /// <c>MarkerBinding.Verify</c>.
    /// </summary>
    public int[]? TokenIds { get; set; }
}

/// <summary>
/// A token the template needs the tokenizer to know as one special token (e.g. a new response marker).
/// It is listed in <see cref="TemplateInfo.SpecialTokens"/>.
/// </summary>
/// <example><code>[SpecialToken("##[YODA]##&gt;")]</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SpecialTokenAttribute : Attribute
{
    /// <summary>Declares a special token.</summary>
    public SpecialTokenAttribute(string token) => Token = token;

    /// <summary>The token text.</summary>
    public string Token { get; }
}

/// <summary>
/// Declares a prompt/completion ("bring your own template") format on a <c>static partial class</c>, such as the
/// seed's Yoda format <c>"{prompt} ##[YODA]##&gt; {completion}{eos}"</c>. The pattern must contain <c>{prompt}</c>
/// then <c>{completion}</c>; the text between them is the generation prompt, and the completion plus what follows
/// it is trainable.
/// </summary>
/// <example>
/// <code>
/// [PromptCompletionTemplate("{prompt} ##[YODA]##&gt; {completion}{eos}", Eos = "&lt;/s&gt;")]
/// [SpecialToken("##[YODA]##&gt;"), ResponseMarker("##[YODA]##&gt;")]
/// public static partial class YodaTemplate;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class PromptCompletionTemplateAttribute : Attribute
{
    /// <summary>Declares the pattern.</summary>
    public PromptCompletionTemplateAttribute(string pattern) => Pattern = pattern;

    /// <summary>The pattern with <c>{prompt}</c>, <c>{completion}</c> and token placeholders.</summary>
    public string Pattern { get; }

    /// <summary>The beginning-of-sequence token (<c>{bos}</c>).</summary>
    public string? Bos { get; set; }

    /// <summary>The end-of-sequence token (<c>{eos}</c>). Required.</summary>
    public string? Eos { get; set; }

    /// <summary>The padding token (<c>{pad}</c>); must differ from <see cref="Eos"/>.</summary>
    public string? Pad { get; set; }

    /// <summary>The unknown-token marker (<c>{unk}</c>).</summary>
    public string? Unk { get; set; }
}
