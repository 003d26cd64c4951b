using System.Text.Json;
using Parley.Jinja;
using Parley.Jinja.Syntax;

namespace Parley.Generators.Tests.Jinja;

/// <summary>Python behaviours the fixtures do not pin, each checked through the interpreter (and the generator where it differs).</summary>
public class PythonSemanticsTests
{
    private static string Render(string template, string vars = "{}")
    {
        using var doc = JsonDocument.Parse(vars);
        return JinjaTemplate.Parse(template).Render(doc.RootElement);
    }

    [Test]
    public void LowerAndUpperTests_IgnoreUncasedLetters_AsPythonDoes()
    {
        // str.islower()/isupper(): every cased character in that case and at least one; CJK letters are uncased, 'ǅ' is titlecase.
        Assert.That(Render("{{ '中' is lower }}|{{ 'abc中' is lower }}|{{ 'ABC中' is upper }}|{{ '中' is upper }}|{{ 'ǅ' is upper }}|{{ '中'.islower() }}|{{ 'A1'.isupper() }}"),
            Is.EqualTo("False|True|True|False|False|False|True"));
    }

    [Test]
    public void DivisibleByZero_IsAZeroDivisionError()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{{ 4 is divisibleby(0) }}"))!;
        Assert.That(e.Message, Does.StartWith("ZeroDivisionError"));
        Assert.That(Render("{{ 4 is divisibleby(2) }}|{{ 4 is divisibleby(-1) }}|{{ 5 is divisibleby(2) }}"), Is.EqualTo("True|True|False"));
    }

    [Test]
    public void ChainedComparison_EvaluatesTheMiddleOnce()
    {
        const string template = "{% set ns = namespace(n=0) %}{% macro m() %}{% set ns.n = ns.n + 1 %}2{% endmacro %}"
            + "{{ 1 < m() | int < 3 }}{{ ns.n }}|{{ 3 < m() | int < 5 }}{{ ns.n }}|{{ 1 < 2 < 3 < 4 }}{{ 1 < 3 < 2 < 4 }}{{ 1 == 1 != 2 }}";
        Assert.That(Render(template), Is.EqualTo("True1|False2|TrueFalseTrue"));
        var parsed = (JOutput)JinjaParser.Parse("{{ a < b <= c }}").Body[0];
        Assert.That(parsed.Expr, Is.TypeOf<JCompare>());
        Assert.That(((JCompare)parsed.Expr).Ops, Is.EqualTo(new[] { "<", "<=" }));
    }

    [Test]
    public void ChainedComparison_Generated_EvaluatesTheMiddleOnce()
    {
        var (_, output) = GeneratorHarness.Run("""
            namespace Chains;

            [global::Parley.JinjaChatTemplate("{% set ns = namespace(n=0) %}{% macro m() %}{% set ns.n = ns.n + 1 %}2{% endmacro %}{{ 1 < m() | int < 3 }}{{ ns.n }}|{{ 1 < 3 < 2 < 4 }}")]
            public static partial class Chain;
            """);
        using var stream = new MemoryStream();
        Assert.That(output.Emit(stream).Success, Is.True);
        var render = System.Reflection.Assembly.Load(stream.ToArray()).GetType("Chains.Chain")!.GetMethod("Render", [typeof(JsonElement)])!;
        using var doc = JsonDocument.Parse("{}");
        Assert.That(render.Invoke(null, [doc.RootElement]), Is.EqualTo("True1|False"));
    }

    [TestCase("{", "not valid JSON")]
    [TestCase("[", "not valid JSON")]
    [TestCase("{\"chat_template\": \"\\u00", "four hex digits")]
    [TestCase("{\"chat_template\": tru}", "unexpected word")]
    [TestCase("{\"chat_template\": 5}", "'chat_template' is a number")]
    [TestCase("{\"bos_token\": \"<s>\"}", "no 'chat_template'")]
    public void TokenizerConfig_Errors_SayWhat(string json, string expected)
    {
        Assert.That(TokenizerConfigReader.Read(json, null, out _, out _, out _), Does.Contain(expected));
        Assert.That(Assert.Throws<TemplateException>(() => JinjaTemplate.FromTokenizerConfig(json))!.Message, Does.Contain(expected));
    }

    [Test]
    public void TokenizerConfig_ReadsTemplateAndTokens()
    {
        JinjaTemplate template = JinjaTemplate.FromTokenizerConfig("""{"chat_template": "{{ bos_token }}{{ messages[0].content }}\u00e9", "bos_token": {"content": "<s>"}, "eos_token": "</s>", "n": -1.5e3}""");
        Assert.That(template.Format([new ChatMessage("user", "Hi")]), Is.EqualTo("<s>Hié"));
        Assert.That((template.Info.Bos, template.Info.Eos), Is.EqualTo(("<s>", "</s>")));
    }

    [Test]
    public void ContinueFinalMessage_KeepsTrailingWhitespaceTheTemplatePreserved()
    {
        var options = new FormatOptions { ContinueFinalMessage = true };
        ChatMessage[] chat = [new("user", "Q"), new("assistant", "Hi  ")];
        JinjaTemplate preserving = JinjaTemplate.Parse("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}");
        JinjaTemplate trimming = JinjaTemplate.Parse("{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}</s>{% endfor %}");
        Assert.That(Format(preserving, chat, options), Is.EqualTo("<user>Q</s><assistant>Hi  "));
        Assert.That(Format(trimming, chat, options), Is.EqualTo("<user>Q</s><assistant>Hi"));

        // Python's whitespace: U+001F is stripped by str.strip (and so by the trim filter), not by .NET's Trim.
        Assert.That(Format(trimming, [new("assistant", "Hi\u001f")], options), Is.EqualTo("<assistant>Hi"));
        Assert.That(Format(preserving, [new("assistant", " Hi ")], options), Is.EqualTo("<assistant> Hi"));
    }

    [Test]
    public void OneTableOfBuiltIns_DrivesTheRuntime()
    {
        Assert.That(JinjaFilters.ByName.Keys, Is.EquivalentTo(JinjaBuiltins.Filters.Keys));
        Assert.That(JinjaTests.ByName.Keys, Is.EquivalentTo(JinjaBuiltins.Tests));
        Assert.That(JinjaBuiltins.Functions.Values.Select(m => typeof(JinjaRuntime).GetMethod(m, [typeof(JinjaArgs)])), Has.None.Null);
        Assert.That(Render("{{ ['a', 'B'] | map('upper') | join }}{{ [1, 2, 3] | select('odd') | list }}{{ 'upper' is test }}{{ 'nope' is filter }}"), Is.EqualTo("AB[1, 3]TrueFalse"));
    }

    private static string Format(IChatTemplate template, ChatMessage[] chat, FormatOptions options)
    {
        char[] buffer = new char[template.GetMaxLength(chat, options)];
        Assert.That(template.TryFormat(chat, buffer, out int written, options, new TextRange[8], out _), Is.True);
        return new string(buffer, 0, written);
    }
}
