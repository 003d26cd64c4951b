namespace Parley.Generators.Tests.Templates;

/// <summary>Phi-3's chat template (the seed's <c>tokenizer_phi.chat_template</c>) declared structurally.</summary>
[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
[InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>")]
public static partial class Phi3Template;

/// <summary>The seed's ChatML template on OPT, where <c>&lt;/s&gt;</c> closes each turn.</summary>
[ChatTemplate(Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
[Turn("system", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("user", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("assistant", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n", Train = true)]
[GenerationPrompt("<|im_start|>assistant\n")]
[SpecialToken("<|im_start|>")]
[InstructionMarker("<|im_start|>user"), ResponseMarker("<|im_start|>assistant")]
public static partial class ChatMLTemplate;

/// <summary>The seed's custom "bring your own template" format for the Yoda dataset.</summary>
[PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
[SpecialToken("##[YODA]##>"), ResponseMarker("##[YODA]##>")]
public static partial class YodaTemplate;

/// <summary>
/// Meta's Llama-3.1-8B-Instruct template (the e2e fixture) as structured turns, for plain conversations whose first
/// message is the system message: the template always opens with a system header carrying "Cutting Knowledge Date" and
/// "Today Date: 26 Jul 2024" and slots the first system message into it (an empty one when the conversation has none).
/// </summary>
[ChatTemplate(Bos = "<|begin_of_text|>", Eos = "<|eot_id|>")]
[ConversationStart("{bos}")]
[Turn("system", Prefix = "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n", Suffix = "<|eot_id|>")]
[Turn("user", Prefix = "<|start_header_id|>user<|end_header_id|>\n\n", Suffix = "<|eot_id|>")]
[Turn("assistant", Prefix = "<|start_header_id|>assistant<|end_header_id|>\n\n", Suffix = "<|eot_id|>", Train = true)]
[GenerationPrompt("<|start_header_id|>assistant<|end_header_id|>\n\n")]
public static partial class Llama31StructuredTemplate;

/// <summary>
/// Qwen2.5-7B-Instruct's template (the e2e fixture) as structured ChatML turns, for plain conversations whose first
/// message is a system message (the template writes Qwen's default system prompt when there is none).
/// </summary>
[ChatTemplate(Eos = "<|im_end|>")]
[Turn("system", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("user", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("assistant", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n", Train = true)]
[GenerationPrompt("<|im_start|>assistant\n")]
public static partial class Qwen25StructuredTemplate;
