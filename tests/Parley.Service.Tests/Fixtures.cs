namespace Parley.Service.Tests;

/// <summary>
/// Locates the shared fixtures folder: <c>PARLEY_FIXTURES</c> if set, else <c>../shared/fixtures</c> next to the
/// folder holding <c>Parley.slnx</c>. Tests read fixtures in place and are ignored when the folder is absent.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The fixtures folder (may not exist).</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>A path inside the fixtures folder; ignores the calling test when the folder is absent.</summary>
    public static string Path(params string[] parts)
    {
        string root = Root;
        if (!Directory.Exists(root)) Assert.Ignore($"fixtures folder not found: {root}");
        return System.IO.Path.Combine([root, .. parts]);
    }

    private static string FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
        if (!string.IsNullOrEmpty(env)) return System.IO.Path.GetFullPath(env);
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Parley.slnx"))) dir = dir.Parent;
        return dir is null
            ? System.IO.Path.GetFullPath(System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "shared", "fixtures"))
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures"));
    }
}
