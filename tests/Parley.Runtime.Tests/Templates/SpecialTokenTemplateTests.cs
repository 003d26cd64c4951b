using CsCheck;
using Parley.Runtime.Tests.Collation;
using Parley.Templates;

namespace Parley.Runtime.Tests.Templates;

/// <summary>The seed's Phi-3 <c>tokenizer_phi.chat_template</c>, where <c>eos_token</c> is a template variable.</summary>
[JinjaChatTemplate("{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
    Bos = "<s>", Eos = "<|endoftext|>")]
public static partial class SeedPhi3Jinja;

/// <summary>The seed's ChatML <c>jinja_template</c> (TRL's <c>setup_chat_format</c> shape with <c>eos_token</c> closing each turn).</summary>
[JinjaChatTemplate("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + eos_token + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    Bos = "<|im_start|>", Eos = "<|im_end|>")]
public static partial class SeedChatMLJinja;

/// <summary>
/// <see cref="Phi3.WithSpecialTokens"/> and <see cref="ChatML.WithSpecialTokens"/>: with the default tokens they format
/// and train exactly as the generated templates; with other tokens they render what the seed's Jinja templates render
/// with those tokens as <c>eos_token</c>.
/// </summary>
public class SpecialTokenTemplateTests
{
    private static readonly Gen<string> Content = Gen.OneOf(
        Gen.Const(""),
        Gen.String[Gen.Char.AlphaNumeric, 0, 40],
        Gen.String[Gen.Char, 0, 40],
        Gen.Const("  Grüße 日本語 🙂 <|end|> </s>\n"),
        Gen.String[Gen.Char['\n', 'z'], 1000, 3000]);

    private static readonly Gen<ChatMessage[]> Conversation =
        Gen.Select(Gen.OneOf(Gen.Const("system"), Gen.Const("user"), Gen.Const("assistant")), Content, (role, content) => new ChatMessage(role, content))
           .Array[0, 10];

    private static readonly Gen<FormatOptions> Options = Gen.OneOf(
        Gen.Const(FormatOptions.Default),
        Gen.Const(FormatOptions.GenerationPrompt),
        Gen.Const(new FormatOptions { ContinueFinalMessage = true }));

    private static (string Text, TextRange[] Trainable, TextRange[] Content) Run(IChatTemplate template, ChatMessage[] messages, in FormatOptions options)
    {
        var buffer = new char[template.GetMaxLength(messages, in options)];
        var trainable = new TextRange[messages.Length + 1];
        var content = new TextRange[messages.Length + 1];
        Assert.That(template.TryFormat(messages, buffer, out int written, in options, trainable, out int trained, content, out int contents), Is.True);
        return (new string(buffer, 0, written), trainable[..trained], content[..contents]);
    }

    private static void AgreeWith(IChatTemplate expected, IChatTemplate actual) =>
        Property.ForAll(Gen.Select(Conversation, Options), pair =>
        {
            var (messages, options) = pair;
            if (options.ContinueFinalMessage && messages.Length == 0) return;
            var (text, trainable, content) = Run(actual, messages, in options);
            var want = Run(expected, messages, in options);
            Assert.That(text, Is.EqualTo(want.Text));
            Assert.That(trainable, Is.EqualTo(want.Trainable));
            Assert.That(content, Is.EqualTo(want.Content));
            Assert.That(actual.Format(messages, options.AddGenerationPrompt), Is.EqualTo(expected.Format(messages, options.AddGenerationPrompt)));
        }, iterations: 300);

    [Test]
    public void Phi3_WithDefaultTokens_FormatsAndTrainsAsPhi3() =>
        AgreeWith(Phi3.Instance, Phi3.WithSpecialTokens("<s>", "<|endoftext|>"));

    [Test]
    public void ChatML_WithDefaultTokens_FormatsAndTrainsAsChatML() =>
        AgreeWith(ChatML.Instance, ChatML.WithSpecialTokens("<|im_start|>", "<|im_end|>", pad: "<|endoftext|>"));

    [TestCase("<s>", "</s>")]
    [TestCase(null, "<|eot|>")]
    public void Phi3_WithOtherTokens_RendersAsTheSeedJinjaTemplate(string? bos, string eos)
    {
        IChatTemplate structured = Phi3.WithSpecialTokens(bos, eos);
        IChatTemplate jinja = SeedPhi3Jinja.WithSpecialTokens(bos, eos);
        Property.ForAll(Gen.Select(Conversation, Gen.Bool), pair =>
            Assert.That(structured.Format(pair.Item1, pair.Item2), Is.EqualTo(jinja.Format(pair.Item1, pair.Item2))), iterations: 300);
    }

    [TestCase("<s>", "</s>")]
    [TestCase("<|im_start|>", "<|im_end|>")]
    public void ChatML_WithOtherTokens_RendersAsTheSeedJinjaTemplate(string? bos, string eos)
    {
        IChatTemplate structured = ChatML.WithSpecialTokens(bos, eos);
        IChatTemplate jinja = SeedChatMLJinja.WithSpecialTokens(bos, eos);
        Property.ForAll(Gen.Select(Conversation, Gen.Bool), pair =>
            Assert.That(structured.Format(pair.Item1, pair.Item2), Is.EqualTo(jinja.Format(pair.Item1, pair.Item2))), iterations: 300);
    }

    [Test]
    public void ChatML_OnOpt_AsTheSeedTrainsIt()
    {
        StructuredTemplate chatml = ChatML.WithSpecialTokens(bos: "<s>", eos: "</s>", pad: "<pad>", unk: "<unk>");
        ChatMessage[] messages = [ChatMessage.User("Hi"), ChatMessage.Assistant("Hello")];
        var (text, trainable, _) = Run(chatml, messages, FormatOptions.Default);

        Assert.That(text, Is.EqualTo("<|im_start|>user\nHi</s>\n<|im_start|>assistant\nHello</s>\n"));
        Assert.That(text[trainable.Single().ToRange()], Is.EqualTo("Hello</s>\n"), "the answer and what closes it are trained");
        Assert.That(chatml.Info.SpecialTokens, Is.EqualTo(new[] { "<s>", "</s>", "<pad>", "<unk>", "<|im_start|>" }));
        Assert.That(chatml.Info.Turns.Select(t => t.Suffix), Is.All.EqualTo("</s>\n"));
        Assert.That((chatml.Info.ResponseMarker, chatml.Info.Kind), Is.EqualTo(("<|im_start|>assistant", TemplateKind.Structured)));
    }

    [Test]
    public void Phi3_OnOpt_EndsTheConversationWithTheGivenEos()
    {
        StructuredTemplate phi3 = Phi3.WithSpecialTokens(bos: "<s>", eos: "</s>", pad: "<pad>");
        ChatMessage[] messages = [ChatMessage.User("Hi"), ChatMessage.Assistant("Hello")];
        var (text, trainable, _) = Run(phi3, messages, FormatOptions.Default);

        Assert.That(text, Is.EqualTo("<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n</s>"));
        Assert.That(text[trainable.Single().ToRange()], Is.EqualTo("Hello<|end|>\n</s>"));
        Assert.That(phi3.Format(messages[..1], addGenerationPrompt: true), Is.EqualTo("<|user|>\nHi<|end|>\n<|assistant|>\n"));
        Assert.That(phi3.Info.SpecialTokens, Is.EqualTo(new[] { "<s>", "</s>", "<pad>", "<unk>" }));
        Assert.That(phi3.Info.ConversationEnd, Is.EqualTo("</s>"));
    }

    [Test]
    public void BadInput_SaysWhatIsWrong()
    {
        Assert.Throws<ArgumentException>(() => Phi3.WithSpecialTokens("<s>", ""));
        var e = Assert.Throws<TemplateException>(() => ChatML.WithSpecialTokens(null, "</s>").Format([new ChatMessage("tool", "x")]));
        Assert.That(e!.Message, Does.Contain("tool"));
        Assert.That(e.MessageIndex, Is.EqualTo(0));
        Assert.That(ChatML.WithSpecialTokens(null, "</s>").TryFormat([ChatMessage.User("Hi")], new char[3], out _, FormatOptions.Default, default, out _), Is.False);
    }
}
