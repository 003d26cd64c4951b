namespace Parley.Runtime.Tests;

/// <summary>
/// Locates the shared test fixtures, read in place: env <c>PARLEY_FIXTURES</c> if set, else <c>../shared/fixtures</c>
/// next to the directory holding <c>Parley.slnx</c>. Tests that need a missing fixture are ignored, not failed.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> root = new(Resolve);

    /// <summary>The fixtures folder (it may not exist; <see cref="Path"/> checks).</summary>
    public static string Root => root.Value;

    /// <summary>The full path of a fixture; ignores the calling test when it does not exist.</summary>
    public static string Path(params string[] parts)
    {
        if (!Directory.Exists(Root))
        {
            Assert.Ignore($"fixtures folder not found: {Root}");
        }
        var path = System.IO.Path.Combine([Root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Assert.Ignore($"fixture not found: {path}");
        }
        return path;
    }

    private static string Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return System.IO.Path.GetFullPath(fromEnv);
        }
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Parley.slnx")))
            {
                return System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures"));
            }
        }
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "shared", "fixtures"));
    }
}
