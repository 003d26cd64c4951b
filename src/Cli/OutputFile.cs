namespace Parley.Cli;

/// <summary>
/// A command's output file written atomically: a temporary file beside it, renamed over the target by
/// <see cref="Commit"/>; disposed without a commit (an error part way), the temporary file is deleted, so neither a
/// half-written output nor a <c>.tmp</c> orphan is left. Without a path it writes to standard output.
/// </summary>
internal sealed class OutputFile : IDisposable
{
    private readonly string? _path;
    private readonly string? _temporary;
    private readonly StreamWriter? _file;
    private bool _committed;

    private OutputFile(string? path, TextWriter stdout)
    {
        if (path is null)
        {
            Writer = stdout;
            return;
        }

        _path = path;
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new CliInputException($"--out '{path}': is a folder; give a file name.");
        string? folder = System.IO.Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder)) throw new CliInputException($"--out '{path}': the folder '{folder}' does not exist.");
        _temporary = System.IO.Path.Combine(folder ?? ".", $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            Stream = new FileStream(_temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new CliInputException($"--out '{path}': cannot write there ({e.Message}).");
        }

        _file = new StreamWriter(Stream);
        Writer = _file;
    }

    /// <summary>The path given (null for standard output).</summary>
    public string? Path => _path;

    /// <summary>The text writer (the file, or standard output).</summary>
    public TextWriter Writer { get; }

    /// <summary>The file's stream (null for standard output).</summary>
    public FileStream? Stream { get; }

    /// <summary>Opens <paramref name="path"/> for writing, or standard output when it is null.</summary>
    /// <exception cref="CliInputException">The path is a folder, a special file, or not writable.</exception>
    public static OutputFile Open(string? path, TextWriter stdout) => new(path, stdout);

    /// <summary>Flushes to disk and renames the temporary file over the target.</summary>
    public void Commit()
    {
        if (_file is null)
        {
            Writer.Flush();
            return;
        }

        _file.Flush();
        Stream!.Flush(flushToDisk: true);
        _file.Dispose();
        try
        {
            File.Move(_temporary!, _path!, overwrite: true);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new CliInputException($"--out '{_path}': cannot replace it ({e.Message}).");
        }

        _committed = true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_file is null || _committed) return;
        _file.Dispose();
        File.Delete(_temporary!);
    }
}
