namespace Parley.Data;

/// <summary>
/// Renames and drops columns before the format is detected (the seed maps <c>sentence</c> → <c>prompt</c>,
/// <c>translation_extra</c> → <c>completion</c> and drops <c>translation</c>). Columns neither renamed nor dropped
/// keep their names; unknown extra columns are ignored.
/// </summary>
/// <example><code>
/// var mapping = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation");
/// </code></example>
public sealed class ColumnMapping
{
    private readonly Dictionary<string, string> _renames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _drops = new(StringComparer.Ordinal);

    /// <summary>Renames column <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <exception cref="ArgumentException">A name is empty, or the column is also dropped.</exception>
    public ColumnMapping Rename(string from, string to)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        if (_drops.Contains(from)) throw new ArgumentException($"Column '{from}' is already dropped; it cannot also be renamed.", nameof(from));
        _renames[from] = to;
        return this;
    }

    /// <summary>Drops column <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, or the column is also renamed.</exception>
    public ColumnMapping Drop(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_renames.ContainsKey(name)) throw new ArgumentException($"Column '{name}' is already renamed; it cannot also be dropped.", nameof(name));
        _drops.Add(name);
        return this;
    }

    /// <summary>The name a source column gets, or null when it is dropped.</summary>
    public string? Map(string column) =>
        _drops.Contains(column) ? null : _renames.TryGetValue(column, out var to) ? to : column;
}
