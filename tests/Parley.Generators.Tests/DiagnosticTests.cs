using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Parley.Generators.Tests;

/// <summary>
/// Each descriptor fires on a minimal bad declaration, at the marked span (<c>[|…|]</c>), and on nothing else;
/// good declarations produce no diagnostic.
/// </summary>
public class DiagnosticTests
{
    private const string Header = "using Parley;\nnamespace Models;\n";

    public static IEnumerable<TestCaseData> BadDeclarations()
    {
        TestCaseData Case(string id, DiagnosticSeverity severity, string source, string because) =>
            new TestCaseData(id, severity, source).SetName($"{id}_{because}");

        yield return Case("PARLEY001", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public partial class [|NotStatic|];
            """, "NotStatic");
        yield return Case("PARLEY001", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static class [|NotPartial|];
            """, "NotPartial");
        yield return Case("PARLEY001", DiagnosticSeverity.Error, """
            public class Outer
            {
                [ChatTemplate(Eos = "</s>")]
                [Turn("assistant", Suffix = "{eos}", Train = true)]
                public static partial class [|Inner|];
            }
            """, "ContainingTypeNotPartial");
        yield return Case("PARLEY002", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            public static partial class [|NoTurns|];
            """, "NoTurns");
        yield return Case("PARLEY003", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "U: ")]
            [[|Turn("user", Prefix = "User: ")|]]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static partial class DuplicateRole;
            """, "DuplicateRole");
        yield return Case("PARLEY004", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Suffix = "<|end|>[|{eso}|]", Train = true)]
            [ConversationEnd("{eos}")]
            public static partial class Typo;
            """, "UnknownPlaceholder");
        yield return Case("PARLEY004", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n[|{eso}|]\n", Train = true)]
            [ConversationEnd("{eos}")]
            public static partial class TypoAfterEscapes;
            """, "UnknownPlaceholderAfterEscapes");
        yield return Case("PARLEY004", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Suffix = @"<|end|>""[|{eso}|]", Train = true)]
            [ConversationEnd("{eos}")]
            public static partial class TypoInVerbatim;
            """, "UnknownPlaceholderInVerbatim");
        yield return Case("PARLEY004", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Suffix = "[|{pad}|]", Train = true)]
            [ConversationEnd("{eos}")]
            public static partial class UndeclaredPad;
            """, "UndeclaredToken");
        yield return Case("PARLEY004", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Prefix = "[|{|]role", Train = true)]
            [ConversationEnd("{eos}")]
            public static partial class Unclosed;
            """, "UnclosedBrace");
        yield return Case("PARLEY005", DiagnosticSeverity.Warning, """
            [[|ChatTemplate(Eos = "</s>")|]]
            [Turn("user", Prefix = "User: ", Suffix = "\n")]
            [Turn("assistant", Prefix = "Bot: ", Suffix = "\n", Train = true)]
            public static partial class NeverStops;
            """, "NoEosAtEnd");
        yield return Case("PARLEY005", DiagnosticSeverity.Warning, """
            [[|PromptCompletionTemplate("{prompt} => {completion}", Eos = "</s>")|]]
            public static partial class NeverStopsEither;
            """, "NoEosAfterCompletion");
        yield return Case("PARLEY006", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [ResponseMarker([|"### Assistant:"|])]
            public static partial class WrongMarker;
            """, "ResponseMarkerAbsent");
        yield return Case("PARLEY007", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>", [|Pad = "</s>"|])]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static partial class EndlessGeneration;
            """, "PadEqualsEos");
        yield return Case("PARLEY008", DiagnosticSeverity.Warning, """
            [ChatTemplate([|Bos = "</s>"|], Eos = "</s>")]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static partial class SameBosEos;
            """, "BosEqualsEos");
        yield return Case("PARLEY009", DiagnosticSeverity.Error, """
            [[|ChatTemplate(Bos = "<s>")|]]
            [Turn("assistant", Train = true)]
            public static partial class NoEos;
            """, "NoEos");
        yield return Case("PARLEY010", DiagnosticSeverity.Error, """
            [PromptCompletionTemplate([|"{completion} {prompt}{eos}"|], Eos = "</s>")]
            public static partial class Backwards;
            """, "CompletionBeforePrompt");
        yield return Case("PARLEY010", DiagnosticSeverity.Error, """
            [PromptCompletionTemplate([|"{prompt}{eos}"|], Eos = "</s>")]
            public static partial class NoCompletion;
            """, "CompletionMissing");
        yield return Case("PARLEY011", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [InstructionMarker([|"### Human:"|])]
            public static partial class WrongInstruction;
            """, "InstructionMarkerAbsent");
        yield return Case("PARLEY012", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static partial class [|Generic|]<T>;
            """, "Generic");
        yield return Case("PARLEY013", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [PromptCompletionTemplate("{prompt}{completion}{eos}", Eos = "</s>")]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static partial class [|Both|];
            """, "TwoTemplateKinds");
        yield return Case("PARLEY014", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [[|Turn("")|]]
            [Turn("assistant", Suffix = "{eos}", Train = true)]
            public static partial class EmptyRole;
            """, "EmptyRole");
        yield return Case("PARLEY015", DiagnosticSeverity.Warning, """
            [[|ChatTemplate(Eos = "</s>")|]]
            [Turn("user", Suffix = "{eos}")]
            public static partial class LearnsNothing;
            """, "NothingTrained");
        yield return Case("PARLEY021", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [ResponseMarker("<|assistant|>", [|TokenIds = new int[0]|])]
            public static partial class EmptyMarkerIds;
            """, "MarkerIdsEmpty");
        yield return Case("PARLEY021", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [ResponseMarker("<|assistant|>", [|TokenIds = [32001, -1]|])]
            public static partial class NegativeMarkerId;
            """, "MarkerIdNegative");
        yield return Case("PARLEY021", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>", [|TokenIds = [32001]|])]
            public static partial class InstructionIdsMissing;
            """, "InstructionMarkerIdsMissing");
        yield return Case("PARLEY021", DiagnosticSeverity.Error, """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [InstructionMarker("<|user|>", [|TokenIds = [32010]|]), ResponseMarker("<|assistant|>")]
            public static partial class ResponseIdsMissing;
            """, "ResponseMarkerIdsMissing");
    }

    [Test]
    public void MarkerIdsMessage_SaysWhatToDo()
    {
        (string source, _) = Unmark(Header + """
            [ChatTemplate(Eos = "</s>")]
            [Turn("user", Prefix = "<|user|>\n")]
            [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "{eos}", Train = true)]
            [InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>", TokenIds = [32001])]
            public static partial class InstructionIdsMissing;
            """);
        var (result, _) = GeneratorHarness.Run(source);
        Assert.That(result.Diagnostics.Single().GetMessage(), Is.EqualTo(
            "The TokenIds of marker '<|assistant|>' on 'InstructionIdsMissing' cannot be used: the instruction marker '<|user|>' declares no TokenIds; " +
            "declare them too, or the generated MarkerMask would train only the last answer of a multi-turn row"));
    }

    [TestCaseSource(nameof(BadDeclarations))]
    public void Descriptor_FiresAtTheMarkedSpan(string id, DiagnosticSeverity severity, string markedSource)
    {
        (string source, TextSpan expected) = Unmark(Header + markedSource);
        var (result, _) = GeneratorHarness.Run(source);

        Assert.That(result.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { id }), string.Join("\n", result.Diagnostics));
        Diagnostic diagnostic = result.Diagnostics[0];
        Assert.That(diagnostic.Severity, Is.EqualTo(severity));
        Assert.That(diagnostic.Location.SourceSpan, Is.EqualTo(expected),
            $"expected '{source.Substring(expected.Start, expected.Length)}', got '{source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length)}'");
        if (severity == DiagnosticSeverity.Error)
        {
            Assert.That(result.GeneratedSources, Is.Empty, "an invalid template emits nothing");
        }
    }

    [TestCaseSource(typeof(TemplateSources), nameof(TemplateSources.Golden))]
    public void GoodDeclaration_HasNoDiagnostics(KeyValuePair<string, string> template)
    {
        var (result, output) = GeneratorHarness.Run(template.Value);
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
    }

    [Test]
    public void PlaceholderMessage_ListsWhatIsAllowed()
    {
        (string source, _) = Unmark(Header + """
            [ChatTemplate(Bos = "<s>", Eos = "</s>")]
            [Turn("assistant", Suffix = "{eso}", Train = true)]
            [ConversationEnd("{eos}")]
            public static partial class Typo;
            """);
        var (result, _) = GeneratorHarness.Run(source);
        Assert.That(result.Diagnostics.Single().GetMessage(), Is.EqualTo(
            "Unknown placeholder '{eso}' in the Suffix of turn 'assistant': allowed placeholders here are {bos}, {eos}, {role}; write '{{' and '}}' for literal braces"));
    }

    [Test]
    public void EscapedBraces_AreLiteral()
    {
        var (result, output) = GeneratorHarness.Run(Header + """
            [ChatTemplate(Eos = "</s>")]
            [Turn("assistant", Prefix = "{{json}}: ", Suffix = "{eos}", Train = true)]
            public static partial class Braces;
            """);
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.GeneratedSources.Single().SourceText.ToString(), Does.Contain("prefix = \"{json}: \""));
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
    }

    private static (string Source, TextSpan Span) Unmark(string marked)
    {
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        if (start < 0)
        {
            return (marked, default);
        }

        int end = marked.IndexOf("|]", start, StringComparison.Ordinal);
        string source = marked.Remove(end, 2).Remove(start, 2);
        return (source, new TextSpan(start, end - start - 2));
    }
}
