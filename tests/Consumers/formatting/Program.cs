using Parley;
using Parley.Templates;

ChatMessage[] conversation =
[
    ChatMessage.System("You are Yoda."),
    ChatMessage.User("The Force is strong in you."),
    ChatMessage.Assistant("Strong in you, the Force is."),
];

Show("structured", Phi3Template.Format(conversation));
Show("structured, generation prompt", Phi3Template.Format(conversation[..2], addGenerationPrompt: true));
Show("prompt/completion", YodaTemplate.Format("The Force is strong in you.", "Strong in you, the Force is."));
Show("jinja inline", InlineJinja.Format(conversation));
Show("jinja file (attribute)", ChatMLFromAttribute.Format(conversation));
Show("jinja file (MSBuild item)", Consumer.Models.ChatMLFromItem.Format(conversation));
Show("jinja .jinja (MSBuild item)", Consumer.Models.Plain.Format(conversation));
Show("built-in qwen3", Qwen3.Format(conversation));

// The allocation-free path with trainable ranges.
Span<char> buffer = stackalloc char[Phi3Template.GetMaxLength(conversation, default)];
Span<TextRange> trainable = stackalloc TextRange[4];
if (!Phi3Template.TryFormat(conversation, buffer, out int written, default, trainable, out int count))
{
    throw new InvalidOperationException("TryFormat: buffer too small");
}

foreach (TextRange range in trainable[..count])
{
    Show("trainable", buffer[..written][range.ToRange()].ToString());
}

static void Show(string label, string text) => Console.Write($"== {label}\n{text}\n");

[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
[InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>")]
public static partial class Phi3Template;

[PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Bos = "<s>", Eos = "</s>", Pad = "<pad>")]
[SpecialToken("##[YODA]##>"), ResponseMarker("##[YODA]##>")]
public static partial class YodaTemplate;

[JinjaChatTemplate("{% for message in messages %}<|{{ message.role }}|>\n{{ message.content }}<|end|>\n{% endfor %}{{ eos_token }}", Eos = "<|endoftext|>")]
public static partial class InlineJinja;

[JinjaChatTemplateFile("chatml/tokenizer_config.json")]
public static partial class ChatMLFromAttribute;
