namespace Parley.Data;

/// <summary>A row of a dataset file is unusable; says which file, line, row and field, what is wrong and what to do.</summary>
/// <example><code>
/// try { foreach (var row in DatasetReader.Open(path)) { } }
/// catch (DatasetException e) { Console.Error.WriteLine($"{e.File}:{e.Line} field {e.Field}: {e.Message}"); }
/// </code></example>
public sealed class DatasetException : ParleyException
{
    /// <summary>The library's hint: how to skip such rows instead of stopping.</summary>
    public const string SkipHint = "Fix the row, or read with BadRows = BadRowPolicy.Skip to skip and count such rows.";

    /// <summary>Creates the exception; the message is composed from the parts.</summary>
    public DatasetException(string file, long line, long row, string? field, string problem, Exception? inner = null)
        : base(Compose(file, line, row, field, problem), SkipHint, file, line, field, inner)
    {
        Row = row;
        Reason = problem;
    }

    /// <summary>0-based data row index.</summary>
    public long Row { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    private static string Compose(string file, long line, long row, string? field, string problem) =>
        $"{file}:{line} (row {row}){(field is null ? "" : $", field '{field}'")}: {problem}";
}
