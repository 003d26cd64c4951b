using Parley.Generators.Tests.Templates;

namespace Parley.Generators.Tests.Jinja;

/// <summary>Compiled Jinja templates report where message content landed, as structured templates do.</summary>
public class JinjaContentRangeTests
{
    private static (string Text, TextRange[] Trainable, TextRange[] Content) Format(IChatTemplate template, ChatMessage[] messages)
    {
        var buffer = new char[template.GetMaxLength(messages, FormatOptions.Default)];
        var trainable = new TextRange[messages.Length];
        var content = new TextRange[messages.Length];
        Assert.That(template.TryFormat(messages, buffer, out int written, FormatOptions.Default, trainable, out int trainableCount, content, out int contentCount), Is.True);
        return (new string(buffer, 0, written), trainable[..trainableCount], content[..contentCount]);
    }

    [Test]
    public void Phi3Jinja_ContentRanges_EqualTheStructuredTemplates()
    {
        ChatMessage[] chat =
        [
            ChatMessage.System("Answer like Yoda."),
            ChatMessage.User("Type <|assistant|> for me"),
            ChatMessage.Assistant("Typed, it is."),
            ChatMessage.User("Thanks"),
        ];

        var jinja = Format(Phi3JinjaTemplate.Instance, chat);
        var structured = Format(Phi3Template.Instance, chat);

        Assert.That(jinja.Text, Is.EqualTo(structured.Text));
        Assert.That(jinja.Content, Is.EqualTo(structured.Content));
        Assert.That(jinja.Content.Select(r => jinja.Text[r.ToRange()]), Is.EqualTo(chat.Select(m => m.Content)));
    }

    [Test]
    public void OneStringForQuestionAndAnswer_TrainsOnlyTheAnswer()
    {
        const string same = "Yes"; // one interned instance for both messages
        ChatMessage[] chat = [ChatMessage.User(same), ChatMessage.Assistant(same), ChatMessage.User(same)];

        var jinja = Format(Phi3JinjaTemplate.Instance, chat);
        var structured = Format(Phi3Template.Instance, chat);

        Assert.That(jinja.Text, Is.EqualTo(structured.Text));
        Assert.That(jinja.Trainable, Is.EqualTo(new[] { new TextRange(structured.Trainable[0].Start, (same + "<|end|>").Length) }), "the questions are not trained");
        Assert.That(jinja.Content, Is.EqualTo(structured.Content));
    }

    [Test]
    public void TooFewContentSlots_ReturnFalse()
    {
        ChatMessage[] chat = [ChatMessage.User("a"), ChatMessage.Assistant("b")];
        Assert.That(Phi3JinjaTemplate.TryFormat(chat, new char[256], out _, FormatOptions.Default, new TextRange[2], out _, new TextRange[1], out _), Is.False);
    }
}
