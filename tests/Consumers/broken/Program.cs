using Parley;

Console.WriteLine("never built");

[ChatTemplate(Eos = "</s>", Pad = "</s>")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>{eso}\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[ConversationEnd("{eos}")]
public static partial class Broken;

[JinjaChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %")]
public static partial class Unclosed;

[ChatTemplate(Eos = "</s>")]
[Turn("user", Prefix = "<|user|>\n")]
public partial class NotStatic;
