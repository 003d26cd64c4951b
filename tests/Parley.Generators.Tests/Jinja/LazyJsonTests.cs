using System.Text.Json;
using Parley.Jinja;

namespace Parley.Generators.Tests.Jinja;

/// <summary>
/// Render(JsonElement) reads the variables lazily: a JSON object becomes a dict only when the template looks into it,
/// and <c>tojson</c> of one it never looked into is written from the JSON. The output must be what Python's
/// <c>json.dumps(json.loads(...))</c> gives either way (expected strings below come from Python 3.11).
/// </summary>
public class LazyJsonTests
{
    private const string Variables = """
        {"tools": [{"type": "function", "function": {"name": "get_wéather", "description": "Line\nbreak \"quoted\" ü", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1.0, "maximum": 1e2, "default": 3}}, "required": ["city"]}}}], "dup": {"a": 1, "b": 2, "a": 3}, "esc": {"\u0061": 1, "a": 2}}
        """;

    private const string Compact = """[{"type": "function", "function": {"name": "get_wéather", "description": "Line\nbreak \"quoted\" ü", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1.0, "maximum": 100.0, "default": 3}}, "required": ["city"]}}}]""";

    private static string Render(string template)
    {
        using JsonDocument variables = JsonDocument.Parse(Variables);
        return JinjaTemplate.Parse(template).Render(variables.RootElement);
    }

    [Test]
    public void Tojson_of_an_unread_object_is_pythons_json_dumps()
    {
        Assert.That(Render("{{ tools | tojson }}"), Is.EqualTo(Compact));
        using JsonDocument variables = JsonDocument.Parse(Variables);
        JinjaValue tool = JinjaJson.FromJson(variables.RootElement.GetProperty("tools")).AsList[0];
        Assert.That(tool.AsDict.TryGetPendingJson(out _), Is.True, "the object is not converted until read");
        Assert.That(tool.AsDict.Count, Is.EqualTo(2));
        Assert.That(tool.AsDict.TryGetPendingJson(out _), Is.False, "reading converts it");
    }

    [Test]
    public void Tojson_after_the_template_read_the_object_is_the_same()
    {
        // Reading a key converts the dict; its unread children stay JSON. Both routes give the same text.
        Assert.That(Render("{{ tools[0]['function']['name'] }}|{{ tools | tojson }}"), Is.EqualTo("get_wéather|" + Compact));
    }

    [Test]
    public void Tojson_with_indent_writes_nested_json_with_pythons_layout()
    {
        string expected = "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_wéather\",\n        \"description\": \"Line\\nbreak \\\"quoted\\\" ü\",\n"
            + "        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\"\n                },\n"
            + "                \"days\": {\n                    \"type\": \"integer\",\n                    \"minimum\": 1.0,\n                    \"maximum\": 100.0,\n                    \"default\": 3\n                }\n"
            + "            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}";
        Assert.That(Render("{% for t in tools %}{{ t | tojson(indent=4) }}{% endfor %}"), Is.EqualTo(expected));
    }

    [Test]
    public void Repeated_and_escaped_names_keep_json_loads_semantics()
    {
        // json.loads keeps the last value of a repeated name at the first one's place; "\u0061" is "a".
        Assert.That(Render("{{ dup | tojson }}|{{ esc | tojson }}"), Is.EqualTo("""{"a": 3, "b": 2}|{"a": 2}"""));
    }
}
