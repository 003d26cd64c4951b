using System.Text.Json;
using Parley.Generators.Tests.Templates;

namespace Parley.Generators.Tests;

/// <summary>Templates declared in this project, compiled by the generator, formatting real conversations.</summary>
public class CompileAndRunTests
{
    private static readonly ChatMessage[] SeedConversation =
    [
        ChatMessage.System("You are a helpful AI assistant."),
        ChatMessage.User("What is the capital of Argentina?"),
        ChatMessage.Assistant("Buenos Aires."),
    ];

    private static JsonElement Phi3Reference()
    {
        string path = Fixtures.Path("reference", "expected_transformersjs_outputs.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("models").GetProperty("phi-3").Clone();
    }

    private static ChatMessage[] ReferenceMessages()
    {
        string path = Fixtures.Path("reference", "expected_transformersjs_outputs.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()))
            .ToArray();
    }

    [Test]
    public void Phi3_ReproducesTransformersChatText()
    {
        string expected = Phi3Reference().GetProperty("chat_text").GetString()!;
        Assert.That(Phi3Template.Format(ReferenceMessages()), Is.EqualTo(expected));
    }

    [Test]
    public void Phi3_ReproducesTransformersGenerationPromptText()
    {
        ChatMessage[] prompt = ReferenceMessages()[..2];
        string expected = Phi3Reference().GetProperty("gen_prompt_text").GetString()!;
        Assert.That(Phi3Template.Format(prompt, addGenerationPrompt: true), Is.EqualTo(expected));
    }

    [Test]
    public void Phi3_TrainableRangeIsAnswerEndAndEos()
    {
        Span<char> buffer = stackalloc char[512];
        Span<TextRange> ranges = stackalloc TextRange[4];
        bool ok = Phi3Template.TryFormat(SeedConversation, buffer, out int written, FormatOptions.Default, ranges, out int count);

        Assert.That(ok, Is.True);
        Assert.That(count, Is.EqualTo(1));
        string text = buffer[..written].ToString();
        Assert.That(text[ranges[0].ToRange()], Is.EqualTo("Buenos Aires.<|end|>\n<|endoftext|>"));
        Assert.That(ranges[0].End, Is.EqualTo(written));
    }

    [Test]
    public void ChatML_ReproducesSeedText()
    {
        ChatMessage[] chat = [ChatMessage.User("What is the capital of Argentina?"), ChatMessage.Assistant("Buenos Aires.")];
        Assert.That(ChatMLTemplate.Format(chat),
            Is.EqualTo("<|im_start|>user\nWhat is the capital of Argentina?</s>\n<|im_start|>assistant\nBuenos Aires.</s>\n"));
    }

    [Test]
    public void ChatML_GenerationPrompt()
    {
        ChatMessage[] chat = [ChatMessage.User("What is the capital of Argentina?")];
        Assert.That(ChatMLTemplate.Format(chat, addGenerationPrompt: true),
            Is.EqualTo("<|im_start|>user\nWhat is the capital of Argentina?</s>\n<|im_start|>assistant\n"));
    }

    [Test]
    public void ChatML_MultiTurnReportsOneRangePerAnswer()
    {
        ChatMessage[] chat =
        [
            ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!"),
            ChatMessage.User("2+2?"), ChatMessage.Assistant("4"),
        ];
        var buffer = new char[ChatMLTemplate.GetMaxLength(chat, FormatOptions.Default)];
        var ranges = new TextRange[chat.Length];

        Assert.That(ChatMLTemplate.TryFormat(chat, buffer, out int written, FormatOptions.Default, ranges, out int count), Is.True);
        string text = new(buffer, 0, written);
        Assert.That(written, Is.EqualTo(buffer.Length), "GetMaxLength is exact for structured templates");
        Assert.That(count, Is.EqualTo(2));
        Assert.That(text[ranges[0].ToRange()], Is.EqualTo("Hello!</s>\n"));
        Assert.That(text[ranges[1].ToRange()], Is.EqualTo("4</s>\n"));
    }

    [Test]
    public void Yoda_FormatsPromptAndCompletion()
    {
        Assert.That(YodaTemplate.Format("The birch canoe slid on the smooth planks.", "On the smooth planks, the birch canoe slid. Yes, hrrrm."),
            Is.EqualTo("The birch canoe slid on the smooth planks. ##[YODA]##> On the smooth planks, the birch canoe slid. Yes, hrrrm.</s>"));
    }

    [Test]
    public void Yoda_NullCompletionGivesGenerationForm()
    {
        Assert.That(YodaTemplate.Format("The Force is strong in you.", null), Is.EqualTo("The Force is strong in you. ##[YODA]##> "));
        Assert.That(YodaTemplate.Format([ChatMessage.User("The Force is strong in you.")], addGenerationPrompt: true),
            Is.EqualTo("The Force is strong in you. ##[YODA]##> "));
    }

    [Test]
    public void Yoda_TrainableRangeIsCompletionAndEos()
    {
        Span<char> buffer = stackalloc char[256];
        bool ok = YodaTemplate.TryFormat("The birch canoe slid on the smooth planks.", "On the smooth planks, the birch canoe slid. Yes, hrrrm.",
            buffer, out int written, out TextRange trainable);

        Assert.That(ok, Is.True);
        Assert.That(buffer[trainable.Start..trainable.End].ToString(), Is.EqualTo("On the smooth planks, the birch canoe slid. Yes, hrrrm.</s>"));
        Assert.That(trainable.End, Is.EqualTo(written));
    }

    [Test]
    public void Yoda_MessagesFormMatchesPromptCompletionForm()
    {
        ChatMessage[] chat = [ChatMessage.User("Hello there."), ChatMessage.Assistant("Hello there, you are.")];
        var buffer = new char[128];
        var ranges = new TextRange[2];
        Assert.That(YodaTemplate.TryFormat(chat, buffer, out int written, FormatOptions.Default, ranges, out int count), Is.True);
        Assert.That(new string(buffer, 0, written), Is.EqualTo("Hello there. ##[YODA]##> Hello there, you are.</s>"));
        Assert.That(count, Is.EqualTo(1));
        Assert.That(ranges[0], Is.EqualTo(TextRange.FromBounds(25, written)));
    }

    [Test]
    public void Yoda_RejectsConversationsItCannotExpress()
    {
        var ex = Assert.Throws<TemplateException>(() => YodaTemplate.Format([ChatMessage.System("Be Yoda."), ChatMessage.User("Hi")]));
        Assert.That(ex!.MessageIndex, Is.EqualTo(0));
        Assert.That(ex.Role, Is.EqualTo("system"));
        Assert.That(ex.Message, Does.Contain("'user'"));
    }

    [Test]
    public void UndeclaredRole_ThrowsNamingRoleAndIndex()
    {
        ChatMessage[] chat = [ChatMessage.User("Hi"), new ChatMessage("tool", "{}")];
        var ex = Assert.Throws<TemplateException>(() => Phi3Template.Format(chat));
        Assert.That(ex!.Role, Is.EqualTo("tool"));
        Assert.That(ex.MessageIndex, Is.EqualTo(1));
        Assert.That(ex.Template, Is.EqualTo("Phi3Template"));
        Assert.That(ex.Message, Is.EqualTo(
            "Template 'Phi3Template' cannot format message 1: role 'tool' is not declared. Declared roles: system, user, assistant. Add a [Turn(\"tool\", ...)] or map the role before formatting."));
    }

    [Test]
    public void TryFormat_ReturnsFalseWhenDestinationIsTooSmall()
    {
        int needed = Phi3Template.GetMaxLength(SeedConversation, FormatOptions.Default);
        var ranges = new TextRange[3];
        Assert.That(Phi3Template.TryFormat(SeedConversation, new char[needed - 1], out _, FormatOptions.Default, ranges, out _), Is.False);
        Assert.That(Phi3Template.TryFormat(SeedConversation, new char[needed], out int written, FormatOptions.Default, ranges, out _), Is.True);
        Assert.That(written, Is.EqualTo(needed));
    }

    [Test]
    public void TryFormat_ReturnsFalseWhenRangesAreTooFew()
    {
        ChatMessage[] chat = [ChatMessage.User("a"), ChatMessage.Assistant("b"), ChatMessage.User("c"), ChatMessage.Assistant("d")];
        Assert.That(Phi3Template.TryFormat(chat, new char[256], out _, FormatOptions.Default, new TextRange[1], out _), Is.False);
        Assert.That(Phi3Template.TryFormat(chat, new char[256], out _, FormatOptions.Default, new TextRange[2], out int count), Is.True);
        Assert.That(count, Is.EqualTo(2));
    }

    [Test]
    public void ContinueFinalMessage_LeavesTheLastMessageOpen()
    {
        ChatMessage[] chat = [ChatMessage.User("Name a colour."), ChatMessage.Assistant("Blu")];
        string text = Phi3Template.Format(chat, new FormatOptions { ContinueFinalMessage = true });
        Assert.That(text, Is.EqualTo("<|user|>\nName a colour.<|end|>\n<|assistant|>\nBlu"));
    }

    [Test]
    public void IncompatibleOptions_Throw()
    {
        var options = new FormatOptions { ContinueFinalMessage = true, AddGenerationPrompt = true };
        Assert.Throws<TemplateException>(() => Phi3Template.Format(SeedConversation, options));
    }

    [Test]
    public void Info_DescribesTokensRolesAndMarkers()
    {
        TemplateInfo info = ChatMLTemplate.Info;
        Assert.That(info.Name, Is.EqualTo("ChatMLTemplate"));
        Assert.That(info.Kind, Is.EqualTo(TemplateKind.Structured));
        Assert.That(info.Eos, Is.EqualTo("</s>"));
        Assert.That(info.Roles, Is.EqualTo(new[] { "system", "user", "assistant" }));
        Assert.That(info.Turns[2].Prefix, Is.EqualTo("<|im_start|>assistant\n"));
        Assert.That(info.SpecialTokens, Is.EqualTo(new[] { "<s>", "</s>", "<pad>", "<unk>", "<|im_start|>" }));
        Assert.That(info.ResponseMarker, Is.EqualTo("<|im_start|>assistant"));
        Assert.That(info.InstructionMarker, Is.EqualTo("<|im_start|>user"));

        TemplateInfo yoda = YodaTemplate.Info;
        Assert.That(yoda.Kind, Is.EqualTo(TemplateKind.PromptCompletion));
        Assert.That(yoda.GenerationPrompt, Is.EqualTo(" ##[YODA]##> "));
        Assert.That(yoda.SpecialTokens, Is.EqualTo(new[] { "<s>", "</s>", "<pad>", "<unk>", "##[YODA]##>" }));
    }

    [Test]
    public void Instance_ForwardsToTheGeneratedMethods()
    {
        IChatTemplate template = Phi3Template.Instance;
        Assert.That(template.Info, Is.SameAs(Phi3Template.Info));
        Assert.That(template.Format(SeedConversation), Is.EqualTo(Phi3Template.Format(SeedConversation)));
    }

    [Test]
    public void ContentRanges_CoverEachMessageContentExactly()
    {
        ChatMessage[] chat = [ChatMessage.System("Be brief."), ChatMessage.User("Say <|assistant|>"), ChatMessage.Assistant(""), ChatMessage.User("Again")];
        var buffer = new char[Phi3Template.GetMaxLength(chat, FormatOptions.GenerationPrompt)];
        var trainable = new TextRange[4];
        var content = new TextRange[4];

        bool ok = Phi3Template.TryFormat(chat, buffer, out int written, FormatOptions.GenerationPrompt, trainable, out int trainableCount, content, out int contentCount);

        Assert.That(ok, Is.True);
        string text = new(buffer, 0, written);
        Assert.That(content[..contentCount].Select(r => text[r.ToRange()]), Is.EqualTo(new[] { "Be brief.", "Say <|assistant|>", "Again" }),
            "one range per non-empty message, exactly its content");
        Assert.That(trainable[..trainableCount].Select(r => text[r.ToRange()]), Is.EqualTo(new[] { "<|end|>\n" }),
            "an empty answer still trains its end-of-turn marker");
    }

    [Test]
    public void ContentRanges_PromptCompletion()
    {
        ChatMessage[] chat = [ChatMessage.User("Hello there."), ChatMessage.Assistant("Hello there, you are.")];
        var buffer = new char[128];
        var trainable = new TextRange[1];
        var content = new TextRange[2];

        Assert.That(YodaTemplate.TryFormat(chat, buffer, out int written, FormatOptions.Default, trainable, out _, content, out int contentCount), Is.True);
        string text = new(buffer, 0, written);
        Assert.That(content[..contentCount].Select(r => text[r.ToRange()]), Is.EqualTo(new[] { "Hello there.", "Hello there, you are." }));
        Assert.That(text[trainable[0].ToRange()], Is.EqualTo("Hello there, you are.</s>"));
    }

    [Test]
    public void ContentRanges_TooFewSlotsReturnFalse()
    {
        Assert.That(Phi3Template.TryFormat(SeedConversation, new char[512], out _, FormatOptions.Default, new TextRange[3], out _, new TextRange[2], out _), Is.False);
    }
}
