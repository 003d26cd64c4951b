using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Parley.Training;

/// <summary>
/// The on-disk layout of checkpoints: <c>checkpoints/step-000050/</c> folders, each complete (its <c>manifest.json</c>,
/// written last, holds every file's SHA-256 and the run's fingerprint) and renamed into place in one step, so a kill
/// leaves either the old checkpoint or the new one. Folders that start with '.' are unfinished and deleted.
/// </summary>
internal static class CheckpointStore
{
    public const string ManifestFile = "manifest.json";
    private const string Prefix = "step-";

    public static string StepFolder(int step) => Prefix + step.ToString("D6", CultureInfo.InvariantCulture);

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The SHA-256 of a file, streamed.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Makes a file's contents durable (a write that bypassed <see cref="AtomicFile"/>, e.g. TorchSharp's).</summary>
    public static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Makes a rename in <paramref name="directory"/> durable (fsync of the folder; a no-op where unsupported).</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Some file systems refuse to open a folder; the rename is still atomic, only its durability on power loss is weaker.
        }
    }

    public static void WriteManifest(string folder, IReadOnlyList<string> files, IReadOnlyDictionary<string, string> fingerprint)
    {
        var manifest = new Manifest(
            files.ToDictionary(f => f, f => HashFile(Path.Combine(folder, f)), StringComparer.Ordinal),
            new SortedDictionary<string, string>(fingerprint.ToDictionary(), StringComparer.Ordinal));
        AtomicFile.Write(Path.Combine(folder, ManifestFile), s => JsonSerializer.Serialize(s, manifest, new JsonSerializerOptions { WriteIndented = true }));
        FlushDirectory(folder);
    }

    /// <summary>The newest complete checkpoint folder, or null.</summary>
    public static string? Latest(string directory) =>
        Directory.EnumerateDirectories(directory, Prefix + "*")
            .Select(d => (Path: d, Step: int.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s : -1))
            .Where(d => d.Step >= 0)
            .OrderByDescending(d => d.Step)
            .Select(d => d.Path)
            .FirstOrDefault();

    /// <summary>
    /// Checks every file against the manifest (throws, naming the file, on a mismatch) and returns the fingerprint
    /// fields that differ from <paramref name="fingerprint"/> as (field, checkpoint's value, this run's value).
    /// </summary>
    public static List<(string Field, string Was, string Now)> Verify(string folder, IReadOnlyDictionary<string, string> fingerprint)
    {
        string manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new CheckpointException(folder, ManifestFile, "has no manifest.json; it is not a complete checkpoint (or was written by an older Parley).");
        }

        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestPath)) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(manifestPath, ManifestFile, $"is damaged ({e.Message}).", inner: e);
        }

        foreach (var (file, expected) in manifest.Files)
        {
            string path = Path.Combine(folder, file);
            if (!File.Exists(path)) throw new CheckpointException(path, file, "is missing from the checkpoint.");
            string actual = HashFile(path);
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                throw new CheckpointException(path, file, $"is damaged: its SHA-256 is {actual[..12]}…, the manifest says {expected[..Math.Min(12, expected.Length)]}…; the file was changed or truncated after it was written.");
            }
        }

        var differences = new List<(string, string, string)>();
        foreach (string key in manifest.Fingerprint.Keys.Union(fingerprint.Keys).Order(StringComparer.Ordinal))
        {
            string was = manifest.Fingerprint.GetValueOrDefault(key) ?? "(not recorded)";
            string now = fingerprint.GetValueOrDefault(key) ?? "(not set)";
            if (!string.Equals(was, now, StringComparison.Ordinal)) differences.Add((key, was, now));
        }

        return differences;
    }

    /// <summary>Deletes every checkpoint folder but <paramref name="keep"/>, and unfinished ones.</summary>
    public static void DeleteAllBut(string directory, string keep)
    {
        foreach (string folder in Directory.EnumerateDirectories(directory))
        {
            string name = Path.GetFileName(folder);
            if (string.Equals(Path.GetFullPath(folder), Path.GetFullPath(keep), StringComparison.Ordinal)) continue;
            if (name.StartsWith(Prefix, StringComparison.Ordinal) || (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal)))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Deletes folders and files a killed run left half-written.</summary>
    public static void DeleteOrphans(string directory)
    {
        foreach (string folder in Directory.EnumerateDirectories(directory, ".*.tmp")) Directory.Delete(folder, recursive: true);
        foreach (string file in Directory.EnumerateFiles(directory, "*.tmp")) File.Delete(file);
    }

    private sealed record Manifest(Dictionary<string, string> Files, SortedDictionary<string, string> Fingerprint);
}
