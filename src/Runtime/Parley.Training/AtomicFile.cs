namespace Parley.Training;

/// <summary>Writes a file so readers see the old content or the new, never a half-written file: write a temporary
/// file next to it, flush it to disk, then rename it over the target.</summary>
/// <example>
/// <code>
/// AtomicFile.Write("trainer_state.json", s => JsonSerializer.Serialize(s, state));
/// </code>
/// </example>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically.</summary>
    /// <param name="path">The target file; its folder is created when missing.</param>
    /// <param name="write">Writes the content.</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
