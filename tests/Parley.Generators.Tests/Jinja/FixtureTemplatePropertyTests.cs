using System.Reflection;
using CsCheck;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Generators.Tests.Templates;

namespace Parley.Generators.Tests.Jinja;

/// <summary>
/// For random plain conversations (roles, unicode, empty and long content), the real Llama-3.1 and Qwen2.5 chat
/// templates — read in place from the shared e2e fixtures and compiled through the generator — agree with their
/// structured-attribute equivalents (<see cref="Llama31StructuredTemplate"/>, <see cref="Qwen25StructuredTemplate"/>):
/// the same text, and each answer's content is trained (the structured template also trains the turn's suffix).
/// </summary>
[NonParallelizable]
public class FixtureTemplatePropertyTests
{
    private const string Qwen25Default = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    private static readonly Lazy<Dictionary<string, IChatTemplate>> Compiled = new(CompileFixtures);

    // Python's str.isspace(): what jinja2's trim filter strips.
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
        Gen.Const(" \n\t "),
        Gen.String[Gen.Char.AlphaNumeric, 0, 40],
        Gen.String[Gen.Char, 0, 40],
        Gen.Const("  Grüße aus Köln — 日本語 🙂 <|eot_id|> <|im_end|>\n"),
        Gen.String[Gen.Char['\n', 'z'], 1000, 3000]);

    // Non-empty: both templates read messages[0], which jinja2 answers with UndefinedError on an empty list (see EmptyConversation_Raises).
    private static Gen<ChatMessage[]> Conversation(string[] roles, int min = 1) =>
        Gen.Select(Gen.OneOf(roles.Select(Gen.Const).ToArray()), Content, (role, content) => new ChatMessage(role, content)).Array[min, 10];

    private static IChatTemplate Fixture(string name)
    {
        if (CompiledCases.FixturesRoot() is not { } root || !File.Exists(Path.Combine(root, "jinja", "e2e-cases.json")))
        {
            Assert.Ignore("fixtures folder not found (set PARLEY_FIXTURES to the shared fixtures folder)");
        }

        return Compiled.Value[name];
    }

    // Compiles the fixtures' Llama-3.1 and Qwen2.5 templates through the generator, with the models' BOS/EOS, in one assembly.
    private static Dictionary<string, IChatTemplate> CompileFixtures()
    {
        var wanted = new (string Class, string Case, string Bos, string Eos)[]
        {
            ("Llama31", "meta-llama/Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>"),
            ("Qwen25", "Qwen/Qwen2.5-7B-Instruct", "", "<|im_end|>"),
        };
        List<JinjaCase> cases = CompiledCases.Load();
        string[] sources = wanted.Select(w => $$"""
            namespace FixtureTemplates;

            [global::Parley.JinjaChatTemplate({{SymbolDisplay.FormatLiteral(cases.Single(c => c.Suite == "e2e" && c.Name == w.Case).Template, quote: true)}}, Bos = {{SymbolDisplay.FormatLiteral(w.Bos, quote: true)}}, Eos = {{SymbolDisplay.FormatLiteral(w.Eos, quote: true)}})]
            public static partial class {{w.Class}};
            """).ToArray();
        var (result, output) = GeneratorHarness.Run(sources);
        Assert.That(result.Diagnostics, Is.Empty);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.That(emitted.Success, Is.True, string.Join("\n", emitted.Diagnostics));
        Assembly assembly = Assembly.Load(stream.ToArray());
        return wanted.ToDictionary(w => w.Class, w => (IChatTemplate)assembly.GetType("FixtureTemplates." + w.Class)!.GetProperty("Instance")!.GetValue(null)!);
    }

    private static (string Text, TextRange[] Trainable) Run(IChatTemplate template, ChatMessage[] messages, bool prompt)
    {
        var options = new FormatOptions { AddGenerationPrompt = prompt };
        var buffer = new char[template.GetMaxLength(messages, in options)];
        var ranges = new TextRange[messages.Length + 1];
        Assert.That(template.TryFormat(messages, buffer, out int written, in options, ranges, out int count), Is.True);
        return (new string(buffer, 0, written), ranges[..count]);
    }

    // Structured ranges are content + suffix; the Jinja ranges are the content alone, for each non-empty answer.
    // The structured suffix is the turn end plus what follows it (Qwen: "\n"); the Jinja template trains each non-empty
    // answer with the turn end written right after it, so its ranges are the structured ones less that tail.
    private static void AssertSameAnswers(TextRange[] jinja, TextRange[] structured, ChatMessage[] structuredMessages, string turnEnd, string tail)
    {
        TextRange[] expected = structured
            .Where(r => r.Length > turnEnd.Length + tail.Length)
            .Select(r => new TextRange(r.Start, r.Length - tail.Length))
            .ToArray();
        Assert.That(jinja, Is.EqualTo(expected), "each non-empty answer is trained with its turn end");
        Assert.That(structured, Has.Length.EqualTo(structuredMessages.Count(m => m.Role == "assistant")));
    }

    /// <summary>
    /// Llama-3.1's template strips content (<c>| trim</c>) and turns only the first message into the system header, so the
    /// generator draws stripped content and puts "system" only first; without one the template writes the header with an
    /// empty system message, which the structured equivalent receives explicitly.
    /// </summary>
    [Test]
    public void Llama31Jinja_AgreesWithStructuredLlama31()
    {
        IChatTemplate jinja = Fixture("Llama31");
        Gen<ChatMessage[]> conversation = Gen.Select(Gen.Bool, Conversation(["user", "assistant"], min: 0), Content, (system, rest, systemContent) =>
            (system || rest.Length == 0 ? [new ChatMessage("system", systemContent), .. rest] : rest).Select(m => new ChatMessage(m.Role, PythonStrip(m.Content))).ToArray());
        Deterministic.Check(Gen.Select(conversation, Gen.Bool), pair =>
        {
            var (messages, prompt) = pair;
            ChatMessage[] structuredMessages = messages is [{ Role: "system" }, ..] ? messages : [new ChatMessage("system", ""), .. messages];
            var (text, trainable) = Run(jinja, messages, prompt);
            var structured = Run(Llama31StructuredTemplate.Instance, structuredMessages, prompt);
            Assert.That(text, Is.EqualTo(structured.Text));
            Assert.That(text, Does.StartWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"));
            AssertSameAnswers(trainable, structured.Trainable, structuredMessages, "<|eot_id|>", "");
        }, iterations: 300);
    }

    /// <summary>Unstripped content: Llama-3.1 writes each message's content stripped as Python's <c>str.strip()</c> does.</summary>
    [Test]
    public void Llama31Jinja_StripsContentAsPython()
    {
        IChatTemplate jinja = Fixture("Llama31");
        Deterministic.Check(Gen.Select(Content, Content), pair =>
        {
            ChatMessage[] raw = [new ChatMessage("system", pair.Item1), new ChatMessage("user", pair.Item2)];
            ChatMessage[] stripped = [.. raw.Select(m => new ChatMessage(m.Role, PythonStrip(m.Content)))];
            Assert.That(jinja.Format(raw), Is.EqualTo(Llama31StructuredTemplate.Format(stripped)));
        }, iterations: 200);
    }

    /// <summary>
    /// Qwen2.5's template writes its default system prompt when the first message is not a system message; any role may
    /// come anywhere and content is written as is, so only that default is supplied to the structured equivalent.
    /// </summary>
    [Test]
    public void Qwen25Jinja_AgreesWithStructuredQwen25()
    {
        IChatTemplate jinja = Fixture("Qwen25");
        Deterministic.Check(Gen.Select(Conversation(["system", "user", "assistant"]), Gen.Bool), pair =>
        {
            var (messages, prompt) = pair;
            ChatMessage[] structuredMessages = messages is [{ Role: "system" }, ..] ? messages : [new ChatMessage("system", Qwen25Default), .. messages];
            var (text, trainable) = Run(jinja, messages, prompt);
            var structured = Run(Qwen25StructuredTemplate.Instance, structuredMessages, prompt);
            Assert.That(text, Is.EqualTo(structured.Text));
            AssertSameAnswers(trainable, structured.Trainable, structuredMessages, "<|im_end|>", "\n");
        }, iterations: 300);
    }

    /// <summary>Both templates index <c>messages[0]</c>; jinja2 raises on an empty conversation, and so does the compiled code.</summary>
    [TestCase("Llama31")]
    [TestCase("Qwen25")]
    public void EmptyConversation_Raises(string name)
    {
        IChatTemplate jinja = Fixture(name);
        Assert.Throws<TemplateException>(() => jinja.Format([]));
    }
}
