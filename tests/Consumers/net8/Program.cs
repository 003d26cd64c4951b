using Parley;

Console.WriteLine(Template.Format([ChatMessage.User("Hi")]));

[ChatTemplate(Eos = "</s>")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[ConversationEnd("{eos}")]
public static partial class Template;
