using System.Reflection;
using Parley.Jinja;
using Parley.Templates;

namespace Parley.Runtime.Tests.Templates;

/// <summary>
/// The built-in Jinja templates compile to typed code for plain conversations, and that code writes what the general
/// renderer writes: the text, the trainable ranges and the content ranges.
/// </summary>
public class BuiltInTypedFormattingTests
{
    public static IEnumerable<TestCaseData> Templates() =>
        new[] { typeof(Qwen3), typeof(Llama31), typeof(Gemma3), typeof(DeepSeekV3) }.Select(t => new TestCaseData(t).SetName("Typed_" + t.Name));

    private static readonly ChatMessage[][] Conversations =
    [
        [ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!")],
        [ChatMessage.System("Be brief."), ChatMessage.User("  2 + 2? \n"), ChatMessage.Assistant("<think>\nEasy.\n</think>\n\n4"), ChatMessage.User("And 3 + 3?"), ChatMessage.Assistant("6")],
        [ChatMessage.User("same"), ChatMessage.Assistant("same")],
        [ChatMessage.User("Only a question")],
    ];

    [TestCaseSource(nameof(Templates))]
    public void Typed_code_formats_as_the_general_renderer(Type template)
    {
        MethodInfo? format = template.GetMethod("__Format", BindingFlags.NonPublic | BindingFlags.Static);
        Assert.That(format, Is.Not.Null, "the built-in template has typed code");
        var render = template.GetMethod("__Render", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<JinjaRenderer>();
        TemplateInfo info = (TemplateInfo)template.GetProperty("Info")!.GetValue(null)!;
        var general = new JinjaBoundTemplate(render, info, info.Bos, info.Eos);
        var typedRenderer = format!.CreateDelegate<JinjaMessageRenderer>();
        var typed = new JinjaBoundTemplate(render, info, info.Bos, info.Eos, typedRenderer);

        // The typed code really renders these conversations (a typed method that always handed over to __Render would
        // pass the comparisons below on its own).
        var output = new JinjaOutput();
        Assert.DoesNotThrow(() => typedRenderer(Conversations[1], true, JinjaText.OfOptional(info.Bos), JinjaText.OfOptional(info.Eos), output));
        Assert.That(output.ToString(), Is.EqualTo(general.Format(Conversations[1], addGenerationPrompt: true)));
        foreach (ChatMessage[] messages in Conversations)
        {
            foreach (bool prompt in new[] { false, true })
            {
                var options = new FormatOptions { AddGenerationPrompt = prompt };
                string label = template.Name + ": " + string.Join(" | ", messages.Select(m => m.Role + ":" + m.Content)) + (prompt ? " +prompt" : "");
                string? generalError = null;
                try
                {
                    general.Format(messages, prompt);
                }
                catch (TemplateException e)
                {
                    generalError = e.Message;
                }

                if (generalError is not null)
                {
                    Assert.That(Assert.Throws<TemplateException>(() => typed.Format(messages, prompt))!.Message, Is.EqualTo(generalError), label);
                    continue;
                }

                Assert.That(Formatted(typed, messages, options), Is.EqualTo(Formatted(general, messages, options)), label);
            }
        }
    }

    private static (string Text, string Trainable, string Content) Formatted(IChatTemplate template, ChatMessage[] messages, FormatOptions options)
    {
        char[] buffer = new char[template.GetMaxLength(messages, options)];
        var trainable = new TextRange[16];
        var content = new TextRange[16];
        Assert.That(template.TryFormat(messages, buffer, out int written, options, trainable, out int t, content, out int c), Is.True);
        return (new string(buffer, 0, written), string.Join(",", trainable[..t]), string.Join(",", content[..c]));
    }
}
