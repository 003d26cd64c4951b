using BenchmarkDotNet.Attributes;
using Parley;

namespace Parley.Benchmarks.Formatting;

/// <summary>
/// One 3-message conversation (the seed's) and one 20-turn conversation, formatted by the generated Phi-3 formatter
/// into a reused buffer, as a string, and by the naive baseline.
/// </summary>
[MemoryDiagnoser]
public class FormatBenchmarks
{
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly TextRange[] _ranges = new TextRange[64];
    private ChatMessage[] _messages = [];

    [Params(3, 20)]
    public int Messages { get; set; }

    [GlobalSetup]
    public void Setup() => _messages = Conversations.Create(Messages);

    [Benchmark(Baseline = true, Description = "naive StringBuilder + concat")]
    public int Naive() => NaivePhi3Formatter.Format(_messages).Text.Length;

    [Benchmark(Description = "Parley TryFormat (reused buffer)")]
    public int TryFormat()
    {
        Phi3Template.TryFormat(_messages, _buffer, out int written, FormatOptions.Default, _ranges, out _);
        return written;
    }

    [Benchmark(Description = "Parley Format (string)")]
    public int Format() => Phi3Template.Format(_messages).Length;
}

internal static class Conversations
{
    /// <summary>The seed's three messages, or a system message and alternating user/assistant turns.</summary>
    public static ChatMessage[] Create(int count)
    {
        if (count == 3)
        {
            return
            [
                ChatMessage.System("You are a helpful AI assistant."),
                ChatMessage.User("What is the capital of Argentina?"),
                ChatMessage.Assistant("Buenos Aires."),
            ];
        }

        var messages = new ChatMessage[count];
        messages[0] = ChatMessage.System("You are a helpful AI assistant who answers in the style of Yoda.");
        for (int i = 1; i < count; i++)
        {
            messages[i] = i % 2 == 1
                ? ChatMessage.User($"Question {i}: the birch canoe slid on the smooth planks; glue the sheet to the dark blue background. Why?")
                : ChatMessage.Assistant($"Answer {i}: on the smooth planks, the birch canoe slid. To the dark blue background, the sheet glued is. Yes, hrrrm.");
        }

        return messages;
    }
}
