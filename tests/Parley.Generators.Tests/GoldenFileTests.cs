using System.Runtime.CompilerServices;

namespace Parley.Generators.Tests;

/// <summary>
/// The generated source, compared with golden files committed in <c>Golden/</c>. After an intended change to the
/// emitter, regenerate them with <c>PARLEY_UPDATE_GOLDEN=1 dotnet test --filter GoldenFileTests</c> and review the diff.
/// </summary>
public class GoldenFileTests
{
    private static bool Update => Environment.GetEnvironmentVariable("PARLEY_UPDATE_GOLDEN") == "1";

    private static string GoldenDirectory([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");

    public static IEnumerable<string> Cases => TemplateSources.Golden.Keys;

    [TestCaseSource(nameof(Cases))]
    public void GeneratedSource_MatchesGoldenFile(string name)
    {
        var (result, output) = GeneratorHarness.Run(TemplateSources.Golden[name]);

        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty, "generated code compiles without warnings");
        Assert.That(result.GeneratedSources, Has.Length.EqualTo(1));

        string actual = result.GeneratedSources[0].SourceText.ToString();
        string path = Path.Combine(GoldenDirectory(), name + ".g.cs");
        if (Update)
        {
            Directory.CreateDirectory(GoldenDirectory());
            File.WriteAllText(path, actual);
            Assert.Warn($"Golden file rewritten: {path}");
        }

        Assert.That(File.Exists(path), Is.True, $"missing golden file {path}; run with PARLEY_UPDATE_GOLDEN=1 to create it");
        Assert.That(actual, Is.EqualTo(File.ReadAllText(path)));
    }

    [Test]
    public void HintName_IsTheFullyQualifiedClassName()
    {
        var (result, _) = GeneratorHarness.Run(TemplateSources.NestedLlama2, TemplateSources.Phi3);
        Assert.That(result.GeneratedSources.Select(s => s.HintName), Is.EquivalentTo(new[] { "Prompts.Llama2Template.g.cs", "Models.Phi3Template.g.cs" }));
    }
}
