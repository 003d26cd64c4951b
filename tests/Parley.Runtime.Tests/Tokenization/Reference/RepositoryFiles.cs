namespace Parley.Runtime.Tests.Tokenization.Reference;

/// <summary>Files committed under <c>tests/reference/</c>, found from the test's folder up to the one holding <c>Parley.slnx</c>.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Parley.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"No Parley.slnx above {TestContext.CurrentContext.TestDirectory}.");
    });

    public static string Reference(params string[] parts) => Path.Combine([Root.Value, "tests", "reference", .. parts]);

    /// <summary>Whether .NET's own normalization is live (ICU loaded) or a no-op (<c>InvariantGlobalization</c>).</summary>
    public static bool IcuNormalizes => "e\u0301".Normalize() != "e\u0301";

    public static string GlobalizationMode => IcuNormalizes ? "ICU" : "invariant globalization";
}
