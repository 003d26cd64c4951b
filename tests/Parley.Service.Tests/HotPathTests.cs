using Parley.Templates;

namespace Parley.Service.Tests;

/// <summary>The work /v1/format does per request, after the body is read: no allocation.</summary>
public sealed class HotPathTests
{
    [Test]
    public void TryFormat_into_rented_buffers_allocates_nothing()
    {
        IChatTemplate template = BuiltInTemplates.Find("phi3")!;
        ChatMessage[] chat =
        [
            ChatMessage.System("You are a helpful AI assistant."),
            ChatMessage.User("What is the capital of Argentina?"),
            ChatMessage.Assistant("Buenos Aires."),
        ];
        var options = new FormatOptions();
        char[] buffer = new char[template.GetMaxLength(chat, options)];
        var trainable = new TextRange[chat.Length + 1];
        Assert.That(template.TryFormat(chat, buffer, out _, options, trainable, out _), Is.True); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            int length = template.GetMaxLength(chat, options);
            template.TryFormat(chat, buffer.AsSpan(0, length), out _, options, trainable, out _);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }
}
