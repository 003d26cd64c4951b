using System.Buffers;
using Parley.Data;
using Parley.Tokenization;

namespace Parley.Labels;

/// <summary>One conversation, formatted, tokenized and labelled.</summary>
/// <param name="Text">The formatted text.</param>
/// <param name="Ids">Token ids.</param>
/// <param name="Labels">One label per token: the id where trained, <see cref="LabelIds.Ignore"/> (-100) elsewhere.</param>
/// <param name="Offsets">Each token's characters in <paramref name="Text"/> (empty for tokens a post-processor added).</param>
/// <param name="Trainable">The trainable character ranges the template reported.</param>
public sealed record EncodedConversation(string Text, int[] Ids, int[] Labels, TextRange[] Offsets, TextRange[] Trainable)
{
    /// <summary>How many tokens are trained (labels that are not -100).</summary>
    public int TrainedTokens => Labels.Count(label => label != LabelIds.Ignore);
}

/// <summary>
/// Labels from the template, end to end: formats a conversation with a compiled template, tokenizes it with special
/// tokens parsed only outside message content (so a user who types <c>&lt;|assistant|&gt;</c> gets text, not a control
/// token), and labels each token from the template's trainable ranges.
/// </summary>
/// <example><code>
/// var encoder = new ConversationEncoder(Phi3Template.Instance, ParleyTokenizer.FromTokenizerJson("phi-3/tokenizer.json"));
/// EncodedConversation row = encoder.Encode([ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!")]);
/// // row.Labels is -100 up to "Hello!", then the ids of "Hello!&lt;|end|&gt;\n&lt;|endoftext|&gt;"
/// </code></example>
public sealed class ConversationEncoder
{
    private readonly IChatTemplate _template;
    private readonly ParleyTokenizer _tokenizer;
    private readonly bool _addSpecialTokens;
    private readonly StraddleRule _rule;

    /// <summary>Creates an encoder.</summary>
    /// <param name="template">The compiled template (e.g. <c>Phi3Template.Instance</c>).</param>
    /// <param name="tokenizer">The tokenizer; it must know the template's special tokens as single tokens.</param>
    /// <param name="addSpecialTokens">Let the tokenizer's post-processor add its tokens (e.g. BOS), as HF's default does.</param>
    /// <param name="rule">Which tokens at a range boundary are trained.</param>
    public ConversationEncoder(IChatTemplate template, ParleyTokenizer tokenizer, bool addSpecialTokens = true, StraddleRule rule = StraddleRule.Overlap)
    {
        _template = template ?? throw new ArgumentNullException(nameof(template));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _addSpecialTokens = addSpecialTokens;
        _rule = rule;
    }

    /// <summary>Formats, tokenizes and labels one conversation.</summary>
    /// <exception cref="TemplateException">The template cannot format the conversation (e.g. an undeclared role).</exception>
    public EncodedConversation Encode(ReadOnlySpan<ChatMessage> messages, in FormatOptions options = default)
    {
        int length = _template.GetMaxLength(messages, options);
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, length));
        TextRange[] trainable = ArrayPool<TextRange>.Shared.Rent(messages.Length + 1);
        TextRange[] content = ArrayPool<TextRange>.Shared.Rent(messages.Length + 1);
        try
        {
            if (!_template.TryFormat(messages, buffer, out int written, options, trainable, out int trainableCount, content, out int contentCount))
            {
                throw new InvalidOperationException($"Template '{_template.Info.Name}' wrote past its own GetMaxLength ({length}); this is a bug in the template.");
            }

            string text = new(buffer, 0, written);
            TokenizedText tokens = _tokenizer.EncodeFormatted(text, content.AsSpan(0, contentCount), _addSpecialTokens);
            var labels = new int[tokens.Count];
            TemplateLabeler.Apply<int>(tokens.Ids, tokens.Offsets, trainable.AsSpan(0, trainableCount), labels, _rule);
            return new EncodedConversation(text, tokens.Ids, labels, tokens.Offsets, trainable.AsSpan(0, trainableCount).ToArray());
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
            ArrayPool<TextRange>.Shared.Return(trainable);
            ArrayPool<TextRange>.Shared.Return(content);
        }
    }

    /// <summary>
    /// Encodes a dataset row: a conversation as is, a prompt/completion pair as a <c>user</c> then an <c>assistant</c>
    /// message, and pre-formatted text tokenized as it stands with every token trained (language modelling).
    /// </summary>
    /// <exception cref="TemplateException">The template cannot format the row's conversation.</exception>
    public EncodedConversation Encode(DatasetExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        switch (example.Format)
        {
            case DatasetFormat.Conversational:
                return Encode(example.Messages);
            case DatasetFormat.PromptCompletion:
                return Encode([ChatMessage.User(example.Prompt!), ChatMessage.Assistant(example.Completion!)]);
            default:
                string text = example.Text ?? "";
                TokenizedText tokens = _tokenizer.Encode(text, _addSpecialTokens);
                return new EncodedConversation(text, tokens.Ids, (int[])tokens.Ids.Clone(), tokens.Offsets, [new TextRange(0, text.Length)]);
        }
    }
}
