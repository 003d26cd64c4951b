namespace Parley.Data;

/// <summary>What to do with a row that cannot be read.</summary>
public enum BadRowPolicy
{
    /// <summary>Throw a <see cref="DatasetException"/> naming file, line and field (the default).</summary>
    Throw,

    /// <summary>Skip the row, count it and keep its error in the <see cref="BadRowReport"/>.</summary>
    Skip,
}

/// <summary>Rows read and rows skipped by a reader, with the first errors, so nothing is dropped silently.</summary>
/// <example><code>
/// var reader = DatasetReader.Open(path, new DatasetReadOptions { BadRows = BadRowPolicy.Skip });
/// foreach (var row in reader) { /* … */ }
/// if (reader.Report.Skipped &gt; 0) Console.Error.WriteLine(reader.Report);
/// </code></example>
public sealed class BadRowReport
{
    private readonly List<DatasetException> _errors = [];

    /// <summary>How many errors are kept (the count goes on).</summary>
    public const int KeptErrors = 20;

    /// <summary>Good rows returned.</summary>
    public long Read { get; private set; }

    /// <summary>Bad rows skipped.</summary>
    public long Skipped { get; private set; }

    /// <summary>The first <see cref="KeptErrors"/> errors of skipped rows.</summary>
    public IReadOnlyList<DatasetException> Errors => _errors;

    internal void Good() => Read++;

    internal void Bad(DatasetException error)
    {
        Skipped++;
        if (_errors.Count < KeptErrors) _errors.Add(error);
    }

    /// <inheritdoc/>
    public override string ToString() => Skipped == 0
        ? $"{Read} rows read, none skipped."
        : $"{Read} rows read, {Skipped} skipped; first: {_errors[0].Message}";
}
