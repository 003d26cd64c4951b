namespace Parley.Benchmarks.Training;

/// <summary>Finds the shared fixtures: env PARLEY_FIXTURES, else ../shared/fixtures next to the folder with Parley.slnx.</summary>
internal static class BenchmarkFixtures
{
    public static string Path(params string[] parts)
    {
        var root = Environment.GetEnvironmentVariable("PARLEY_FIXTURES");
        if (string.IsNullOrEmpty(root))
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Parley.slnx")))
                {
                    root = System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures");
                    break;
                }
            }
        }
        var path = System.IO.Path.Combine([root ?? "", .. parts]);
        return File.Exists(path) ? path : throw new FileNotFoundException($"fixture not found: {path}; set PARLEY_FIXTURES to the shared fixtures folder.");
    }
}
