using Parley;
using Parley.Samples.Yoda;

// The seed chapter's formatting step: the same conversations through three compiled templates, with the characters
// the model is trained on shown between ⟦ and ⟧. Later steps (tokenize, mask, pack, train) join this sample as the
// runtime grows.

ChatMessage[] conversation =
[
    ChatMessage.System("You are a helpful AI assistant."),
    ChatMessage.User("What is the capital of Argentina?"),
    ChatMessage.Assistant("Buenos Aires."),
];

(string Sentence, string Translation)[] yoda =
[
    ("The birch canoe slid on the smooth planks.", "On the smooth planks, the birch canoe slid. Yes, hrrrm."),
    ("Glue the sheet to the dark blue background.", "To the dark blue background, the sheet glue, you must."),
    ("It's easy to tell the depth of a well.", "Easy to tell the depth of a well, it is."),
];

Console.WriteLine("Parley: chat templates compiled at build time\n");

Show("Phi-3 (structured attributes)", Phi3Template.Instance, conversation);
Show("ChatML on OPT (structured attributes)", ChatMLTemplate.Instance, conversation[1..]);
Console.WriteLine("== Phi-3, generation prompt (inference form)");
Console.WriteLine(Visible(Phi3Template.Format(conversation[..2], addGenerationPrompt: true)));
Console.WriteLine();

Console.WriteLine("== Yoda (prompt/completion template, special token " + YodaTemplate.Info.ResponseMarker + ")");
Span<char> buffer = stackalloc char[512];
foreach (var (sentence, translation) in yoda)
{
    YodaTemplate.TryFormat(sentence, translation, buffer, out int written, out TextRange trained);
    Console.WriteLine(Highlight(buffer[..written].ToString(), [trained]));
}

Console.WriteLine("generation form: " + Visible(YodaTemplate.Format("The Force is strong in you.", null)) + "|");
Console.WriteLine();
Console.WriteLine("Special tokens the tokenizer must know: " + string.Join(" ", YodaTemplate.Info.SpecialTokens));

static void Show(string title, IChatTemplate template, ChatMessage[] messages)
{
    var text = new char[template.GetMaxLength(messages, FormatOptions.Default)];
    var ranges = new TextRange[messages.Length];
    template.TryFormat(messages, text, out int written, FormatOptions.Default, ranges, out int count);
    Console.WriteLine($"== {title}: {written} chars, {count} trained range(s)");
    Console.WriteLine(Highlight(new string(text, 0, written), ranges[..count]));
    Console.WriteLine();
}

static string Highlight(string text, TextRange[] ranges)
{
    var result = new System.Text.StringBuilder();
    int position = 0;
    foreach (TextRange range in ranges)
    {
        result.Append(Visible(text[position..range.Start])).Append('⟦').Append(Visible(text[range.ToRange()])).Append('⟧');
        position = range.End;
    }

    return result.Append(Visible(text[position..])).ToString();
}

// Newlines are part of the template: show them as \n so the exact text is visible.
static string Visible(string text) => text.Replace("\n", "\\n\n");
