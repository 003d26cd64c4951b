using System.Text.Json;

namespace Parley.Runtime.Tests.Collation;

/// <summary>Reads <c>reference/collator-cases.json</c> in place (transformers' and TRL's own test values).</summary>
internal static class ReferenceCases
{
    private static readonly string[] FilePath = ["reference", "collator-cases.json"];

    /// <summary>Case names of one section, for <c>TestCaseSource</c>; one placeholder when the fixtures are absent.</summary>
    public static IEnumerable<string> Names(string section)
    {
        var path = System.IO.Path.Combine([Fixtures.Root, .. FilePath]);
        if (!File.Exists(path))
        {
            yield return "(fixtures missing)";
            yield break;
        }
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (var element in doc.RootElement.GetProperty(section).EnumerateArray())
        {
            yield return element.GetProperty("name").GetString()!;
        }
    }

    /// <summary>The case named <paramref name="name"/> (ignores the test when the fixtures are absent).</summary>
    public static JsonElement Get(string section, string name)
    {
        var path = Fixtures.Path(FilePath);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (var element in doc.RootElement.GetProperty(section).EnumerateArray())
        {
            if (element.GetProperty("name").GetString() == name) return element.Clone();
        }
        throw new AssertionException($"case '{name}' not found in section {section}");
    }

    public static int[][] Rows(JsonElement element) =>
        element.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

    public static long[] Flat(JsonElement element) =>
        element.EnumerateArray().SelectMany(row => row.ValueKind == JsonValueKind.Array ? row.EnumerateArray().Select(v => v.GetInt64()) : [row.GetInt64()]).ToArray();

    public static bool TryGet(JsonElement element, string name, out JsonElement value) => element.TryGetProperty(name, out value);
}
