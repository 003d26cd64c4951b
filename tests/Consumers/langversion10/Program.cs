using Parley;

// Generated members are not used: the build must fail with PARLEY023 alone, not with errors in generated code.
Console.WriteLine("LangVersion 10");

[ChatTemplate(Eos = "</s>")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[ConversationEnd("{eos}")]
public static partial class Template { }
