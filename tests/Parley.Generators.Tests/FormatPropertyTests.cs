using System.Text;
using CsCheck;
using Parley.Generators.Tests.Templates;

namespace Parley.Generators.Tests;

/// <summary>
/// For random conversations (any mix of declared roles, unicode, empty and long content), the generated formatter
/// agrees with a plain reference rendering of the same template, and its trainable ranges are exactly the trained
/// turns' content + suffix (+ EOS after a trained last message).
/// </summary>
public class FormatPropertyTests
{
    private static readonly Gen<string> Content = Gen.OneOf(
        Gen.Const(""),
        Gen.String[Gen.Char.AlphaNumeric, 0, 40],
        Gen.String[Gen.Char, 0, 40],                      // any UTF-16 unit, incl. lone surrogates
        Gen.String[Gen.Char['\n', 'z'], 1000, 3000]);   // long enough to take the pooled-buffer path

    private static readonly Gen<ChatMessage[]> Conversation =
        Gen.Select(Gen.OneOf(Gen.Const("system"), Gen.Const("user"), Gen.Const("assistant")), Content, (role, content) => new ChatMessage(role, content))
           .Array[0, 12];

    [Test]
    public void Phi3_MatchesReferenceRendering()
    {
        Deterministic.Check(Conversation, messages =>
        {
            var (expected, expectedRanges) = Reference(messages, "<|endoftext|>");
            var buffer = new char[Phi3Template.GetMaxLength(messages, FormatOptions.Default)];
            var ranges = new TextRange[messages.Length];

            bool ok = Phi3Template.TryFormat(messages, buffer, out int written, FormatOptions.Default, ranges, out int count);

            Assert.That(ok, Is.True);
            Assert.That(written, Is.EqualTo(buffer.Length));
            Assert.That(new string(buffer, 0, written), Is.EqualTo(expected));
            Assert.That(Phi3Template.Format(messages), Is.EqualTo(expected));
            Assert.That(ranges[..count], Is.EqualTo(expectedRanges));
        }, iterations: 400);
    }

    [Test]
    public void TooSmallDestination_NeverThrowsAndReturnsFalse()
    {
        Deterministic.Check(Gen.Select(Conversation, Gen.Int[1, 50]), pair =>
        {
            var (messages, shortBy) = pair;
            int needed = Phi3Template.GetMaxLength(messages, FormatOptions.Default);
            var buffer = new char[Math.Max(0, needed - shortBy)];
            Assert.That(Phi3Template.TryFormat(messages, buffer, out _, FormatOptions.Default, new TextRange[messages.Length], out _), Is.False);
        }, iterations: 200);
    }

    /// <summary>Phi-3 written the obvious way, with ranges merged where they touch.</summary>
    private static (string Text, TextRange[] Ranges) Reference(ChatMessage[] messages, string eos)
    {
        var text = new StringBuilder();
        var ranges = new List<TextRange>();
        void Add(int start, int end)
        {
            if (end == start) return;
            if (ranges.Count > 0 && ranges[^1].End == start) ranges[^1] = TextRange.FromBounds(ranges[^1].Start, end);
            else ranges.Add(TextRange.FromBounds(start, end));
        }

        foreach (ChatMessage message in messages)
        {
            text.Append($"<|{message.Role}|>\n");
            int start = text.Length;
            text.Append(message.Content).Append("<|end|>\n");
            if (message.Role == "assistant") Add(start, text.Length);
        }

        int endStart = text.Length;
        text.Append(eos);
        if (messages.Length > 0 && messages[^1].Role == "assistant") Add(endStart, text.Length);
        return (text.ToString(), ranges.ToArray());
    }
}
