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
