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
public static partial class Phi3;

/// <summary>ChatML as TRL's <c>setup_chat_format</c> writes it (<c>&lt;|im_start|&gt;</c> … <c>&lt;|im_end|&gt;</c>), compiled by the generator.</summary>
/// <example><code>string text = ChatML.Format(messages, addGenerationPrompt: true);</code></example>
[ChatTemplate(Bos = "<|im_start|>", Eos = "<|im_end|>", Pad = "<|endoftext|>")]
[Turn("system", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("user", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("assistant", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n", Train = true)]
[GenerationPrompt("<|im_start|>assistant\n")]
[InstructionMarker("<|im_start|>user"), ResponseMarker("<|im_start|>assistant")]
public static partial class ChatML;

/// <summary>Finds a built-in template by name.</summary>
public static class BuiltInTemplates
{
    /// <summary>The names <see cref="Find"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["phi3", "chatml"];

    /// <summary>The template called <paramref name="name"/> (case-insensitive), or null.</summary>
    /// <example><code>IChatTemplate? phi3 = BuiltInTemplates.Find("phi3");</code></example>
    public static IChatTemplate? Find(string name) => name.ToLowerInvariant() switch
    {
        "phi3" or "phi-3" => Phi3.Instance,
        "chatml" => ChatML.Instance,
        _ => null,
    };
}
