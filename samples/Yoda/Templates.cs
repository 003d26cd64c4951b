using Parley;

namespace Parley.Samples.Yoda;

/// <summary>Phi-3's chat template, as the seed prints it (<c>tokenizer_phi.chat_template</c>).</summary>
[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
[InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>")]
public static partial class Phi3Template;

/// <summary>ChatML as the seed sets it up on OPT (<c>setup_chat_format</c>, with <c>&lt;/s&gt;</c> closing each turn).</summary>
[ChatTemplate(Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
[Turn("system", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("user", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
[Turn("assistant", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n", Train = true)]
[GenerationPrompt("<|im_start|>assistant\n")]
[SpecialToken("<|im_start|>")]
[InstructionMarker("<|im_start|>user"), ResponseMarker("<|im_start|>assistant")]
public static partial class ChatMLTemplate;

/// <summary>The seed's own format for the Yoda dataset, with its new special response token.</summary>
[PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
[SpecialToken("##[YODA]##>"), ResponseMarker("##[YODA]##>")]
public static partial class YodaTemplate;
