using Parley;

namespace Parley.Samples.Yoda;

/// <summary>The seed's own format for the Yoda dataset, with its new special response token.</summary>
[PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
[SpecialToken("##[YODA]##>"), ResponseMarker("##[YODA]##>")]
public static partial class YodaTemplate;

/// <summary>Phi-3's chat template, as the seed prints it (<c>tokenizer_phi.chat_template</c>).</summary>
[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
[InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>")]
public static partial class Phi3Template;
