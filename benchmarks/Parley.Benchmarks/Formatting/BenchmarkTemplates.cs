using Parley;

namespace Parley.Benchmarks.Formatting;

[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
public static partial class Phi3Template;

/// <summary>
/// The baseline: what a formatter written by hand without care looks like — a StringBuilder fed with string
/// concatenations, trainable ranges collected in a list.
/// </summary>
public static class NaivePhi3Formatter
{
    public static (string Text, List<TextRange> Trainable) Format(ChatMessage[] messages)
    {
        var builder = new StringBuilder();
        var trainable = new List<TextRange>();
        foreach (ChatMessage message in messages)
        {
            string prefix = message.Role switch
            {
                "system" => "<|system|>\n",
                "user" => "<|user|>\n",
                "assistant" => "<|assistant|>\n",
                _ => throw new InvalidOperationException("unknown role " + message.Role),
            };
            builder.Append(prefix);
            int start = builder.Length;
            builder.Append(message.Content + "<|end|>" + "\n");
            if (message.Role == "assistant")
            {
                trainable.Add(TextRange.FromBounds(start, builder.Length));
            }
        }

        builder.Append("<|endoftext|>");
        return (builder.ToString(), trainable);
    }
}
