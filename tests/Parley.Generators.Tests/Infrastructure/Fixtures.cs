namespace Parley.Generators.Tests;

/// <summary>
/// Locates the shared fixtures in place: <c>PARLEY_FIXTURES</c> when set, else <c>../shared/fixtures</c> next to the
/// repository root (the folder holding Parley.slnx). Tests that need them are ignored, with the reason, when absent.
/// </summary>
internal static class Fixtures
{
    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
            if (!string.IsNullOrEmpty(overridden))
            {
                return System.IO.Path.GetFullPath(overridden);
            }

            string? repository = RepositoryRoot;
            return repository is null
                ? System.IO.Path.GetFullPath("../shared/fixtures")
                : System.IO.Path.GetFullPath(System.IO.Path.Combine(repository, "..", "shared", "fixtures"));
        }
    }

    /// <summary>The folder holding Parley.slnx, found by walking up from the test assembly.</summary>
    public static string? RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Parley.slnx")))
                {
                    return dir.FullName;
                }
            }

            return null;
        }
    }

    /// <summary>A fixture file's path; ignores the calling test when the fixtures folder is absent.</summary>
    public static string Path(params string[] parts)
    {
        string root = Root;
        if (!Directory.Exists(root))
        {
            Assert.Ignore($"fixtures folder not found: {root} (set PARLEY_FIXTURES to the shared fixtures folder)");
        }

        return System.IO.Path.Combine([root, .. parts]);
    }
}
