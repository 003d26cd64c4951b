using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Parley.Cli;

/// <summary>
/// Encoded rows (ids, then labels, as 32-bit integers) in a temporary file beside the output, so packing a dataset
/// holds its lengths in memory (12 bytes a row) instead of its tokens (about 120 bytes a token as arrays of
/// objects). Rows are read back by index and offset with positional reads; the file is deleted when disposed.
/// </summary>
internal sealed class RowSpill : IDisposable
{
    private readonly string _path;
    private readonly FileStream _stream;
    private readonly List<long> _offsets = [];
    private readonly List<int> _lengths = [];
    private SafeFileHandle? _reader;

    /// <summary>Creates the spill file next to <paramref name="output"/> (same disk, same permissions).</summary>
    public RowSpill(string output)
    {
        string full = Path.GetFullPath(output);
        _path = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.spill.tmp");
        _stream = new FileStream(_path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
    }

    /// <summary>Rows added.</summary>
    public int Count => _lengths.Count;

    /// <summary>Each row's token count, in order.</summary>
    public ReadOnlySpan<int> Lengths => CollectionsMarshal.AsSpan(_lengths);

    /// <summary>Appends a row.</summary>
    public void Add(int[] ids, int[] labels)
    {
        _offsets.Add(_stream.Position);
        _lengths.Add(ids.Length);
        _stream.Write(MemoryMarshal.AsBytes(ids.AsSpan()));
        _stream.Write(MemoryMarshal.AsBytes(labels.AsSpan(0, ids.Length)));
    }

    /// <summary>Reads <paramref name="ids"/>.Length tokens of row <paramref name="row"/> from <paramref name="start"/>.</summary>
    public void Read(int row, int start, Span<int> ids, Span<int> labels)
    {
        if (_reader is null)
        {
            _stream.Flush();
            _reader = _stream.SafeFileHandle;
        }

        long offset = _offsets[row];
        long length = _lengths[row];
        RandomAccess.Read(_reader, MemoryMarshal.AsBytes(ids), offset + (long)start * sizeof(int));
        RandomAccess.Read(_reader, MemoryMarshal.AsBytes(labels), offset + (length + start) * sizeof(int));
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
