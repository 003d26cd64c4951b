using CsCheck;
using Parley.Jinja.Syntax;
using Parley.Generators.Tests.Templates;

namespace Parley.Generators.Tests.Jinja;

/// <summary>
/// For random conversations the Jinja-compiled Phi-3 and ChatML templates agree with their structured equivalents,
/// and the Jinja front end answers random template text with a syntax error or a template, never a crash.
/// </summary>
public class JinjaPropertyTests
{
    private static readonly Gen<string> Content = Gen.OneOf(
        Gen.Const(""),
        Gen.String[Gen.Char.AlphaNumeric, 0, 40],
        Gen.String[Gen.Char, 0, 40],
        Gen.String[Gen.Char['\n', 'z'], 1000, 3000]);

    private static readonly Gen<ChatMessage[]> Conversation =
        Gen.Select(Gen.OneOf(Gen.Const("system"), Gen.Const("user"), Gen.Const("assistant")), Content, (role, content) => new ChatMessage(role, content))
           .Array[0, 12];

    [Test]
    public void Phi3Jinja_AgreesWithStructuredPhi3()
    {
        Deterministic.Check(Gen.Select(Conversation, Gen.Bool), pair =>
        {
            var (messages, prompt) = pair;
            Assert.That(Phi3JinjaTemplate.Format(messages, prompt), Is.EqualTo(Phi3Template.Format(messages, prompt)));
        }, iterations: 300);
    }

    [Test]
    public void ChatMLJinja_AgreesWithStructuredChatML()
    {
        Deterministic.Check(Gen.Select(Conversation, Gen.Bool), pair =>
        {
            var (messages, prompt) = pair;
            Assert.That(ChatMLJinjaTemplate.Format(messages, prompt), Is.EqualTo(ChatMLTemplate.Format(messages, prompt)));
        }, iterations: 300);
    }

    [Test]
    public void Phi3Jinja_ContinueFinalMessage_AgreesWithStructured()
    {
        var options = new FormatOptions { ContinueFinalMessage = true };
        Deterministic.Check(Conversation.Where(m => m.Length > 0 && m[^1].Content.Length > 0 && m[^1].Content.Trim() == m[^1].Content), messages =>
        {
            Assert.That(Phi3JinjaTemplate.Format(messages, in options), Is.EqualTo(Phi3Template.Format(messages, in options)));
        }, iterations: 200);
        Assert.Throws<TemplateException>(() => Phi3JinjaTemplate.Format([], in options));
    }

    [Test]
    public void Phi3Jinja_TrainsEachAnswer()
    {
        Deterministic.Check(Conversation, messages =>
        {
            var buffer = new char[Phi3JinjaTemplate.GetMaxLength(messages, FormatOptions.Default)];
            var ranges = new TextRange[messages.Length];
            Assert.That(Phi3JinjaTemplate.TryFormat(messages, buffer, out int written, FormatOptions.Default, ranges, out int count), Is.True);
            string text = new(buffer, 0, written);
            var answers = messages.Where(m => m.Role == "assistant" && m.Content.Length > 0).Select(m => m.Content + "<|end|>").ToArray();
            Assert.That(ranges[..count].Select(r => text[r.ToRange()]), Is.EqualTo(answers), "each answer with the <|end|> that closes it");
            foreach (TextRange r in ranges[..count])
            {
                Assert.That(text[..r.Start], Does.EndWith("<|assistant|>\n"), "each range starts at an assistant message's content");
            }
        }, iterations: 200);
    }

    private static readonly Gen<string> TemplateText = Gen.String[Gen.OneOf(
        Gen.Char["{}%#-+|()[]'\". ,:=~*/"],
        Gen.Char.AlphaNumeric,
        Gen.Char[" \n\t"]), 0, 60]
        .Select(Gen.OneOf(Gen.Const(""), Gen.Const("{% for x in y %}"), Gen.Const("{% endfor %}"), Gen.Const("{{ a | trim }}"),
            Gen.Const("{% if a is defined %}"), Gen.Const("{% endif %}"), Gen.Const("{% set x = ")), (noise, piece) => piece + noise + piece);

    [Test]
    public void FrontEnd_NeverThrowsOnRandomText()
    {
        Deterministic.Check(TemplateText, text =>
        {
            var problems = new List<JinjaProblem>();
            JTemplate? template = JinjaChecks.Check(text, problems);
            Assert.That(template is not null || problems.Count > 0, Is.True);
            Assert.That(problems.All(p => p.Line >= 1 && p.Column >= 1), Is.True);
            if (template is not null && problems.Count == 0)
            {
                Assert.That(Parley.Jinja.JinjaTemplate.Parse(text).Info.Kind, Is.EqualTo(TemplateKind.Jinja));
            }
        }, iterations: 2000);
    }
}
