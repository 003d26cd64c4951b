using CsCheck;
using Parley.Runtime.Tests.Collation;
using Parley.Templates;

namespace Parley.Runtime.Tests.Templates;

/// <summary>The built-in <see cref="Llama31"/> (the npm package's template) as structured turns: BOS, header, content, <c>&lt;|eot_id|&gt;</c>.</summary>
[ChatTemplate(Bos = "<|begin_of_text|>", Eos = "<|eot_id|>")]
[ConversationStart("{bos}")]
[Turn("system", Prefix = "<|start_header_id|>{role}<|end_header_id|>\n\n", Suffix = "{eos}")]
[Turn("user", Prefix = "<|start_header_id|>{role}<|end_header_id|>\n\n", Suffix = "{eos}")]
[Turn("assistant", Prefix = "<|start_header_id|>{role}<|end_header_id|>\n\n", Suffix = "{eos}", Train = true)]
[GenerationPrompt("<|start_header_id|>assistant<|end_header_id|>\n\n")]
public static partial class Llama31Structured;

/// <summary>
/// For random conversations (roles, unicode, empty and long content) the built-in Llama-3.1 template agrees with its
/// structured equivalent. The template strips content (<c>| trim</c>, Python's <c>str.strip()</c>), so the generator
/// draws stripped content; it writes BOS only with the first message, so conversations are non-empty (the empty one
/// is checked on its own).
/// </summary>
public class BuiltInPropertyTests
{
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    private static string PythonStrip(string s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsPythonSpace(s[a])) a++;
        while (b > a && IsPythonSpace(s[b - 1])) b--;
        return s[a..b];
    }

    private static readonly Gen<string> Content = Gen.OneOf(
        Gen.Const(""),
        Gen.String[Gen.Char.AlphaNumeric, 0, 40],
        Gen.String[Gen.Char, 0, 40],
        Gen.Const("Grüße aus Köln — 日本語 🙂 <|eot_id|>"),
        Gen.String[Gen.Char['\n', 'z'], 1000, 3000]).Select(PythonStrip);

    private static readonly Gen<ChatMessage[]> Conversation =
        Gen.Select(Gen.OneOf(Gen.Const("system"), Gen.Const("user"), Gen.Const("assistant")), Content, (role, content) => new ChatMessage(role, content))
           .Array[1, 10];

    private static (string Text, TextRange[] Trainable) Run(IChatTemplate template, ChatMessage[] messages, bool prompt)
    {
        var options = new FormatOptions { AddGenerationPrompt = prompt };
        var buffer = new char[template.GetMaxLength(messages, in options)];
        var ranges = new TextRange[messages.Length + 1];
        Assert.That(template.TryFormat(messages, buffer, out int written, in options, ranges, out int count), Is.True);
        return (new string(buffer, 0, written), ranges[..count]);
    }

    [Test]
    public void Llama31_AgreesWithStructuredLlama31()
    {
        Property.ForAll(Gen.Select(Conversation, Gen.Bool), pair =>
        {
            var (messages, prompt) = pair;
            var (text, trainable) = Run(Llama31.Instance, messages, prompt);
            var structured = Run(Llama31Structured.Instance, messages, prompt);
            Assert.That(text, Is.EqualTo(structured.Text));

            // Both train each answer with its <|eot_id|>; the Jinja one has no answer to attach it to when the content is empty.
            TextRange[] expected = [.. structured.Trainable.Where(r => r.Length > "<|eot_id|>".Length)];
            Assert.That(trainable, Is.EqualTo(expected));
        }, iterations: 300);
    }

    [Test]
    public void Llama31_EmptyConversation_IsTheGenerationPromptAlone()
    {
        Assert.That(Llama31.Format([], addGenerationPrompt: true), Is.EqualTo("<|start_header_id|>assistant<|end_header_id|>\n\n"));
        Assert.That(Llama31.Format([]), Is.Empty);
    }

    [Test]
    public void Llama31_StripsContentAsPython()
    {
        Property.ForAll(Gen.String[Gen.Char, 0, 30].Select(s => " \u3000\x1c" + s + "\n\t"), raw =>
            Assert.That(Llama31.Format([ChatMessage.User(raw)]), Is.EqualTo(Llama31Structured.Format([ChatMessage.User(PythonStrip(raw))]))), iterations: 200);
    }
}
