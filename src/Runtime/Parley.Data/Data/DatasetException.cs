namespace Parley.Data;

/// <summary>A row of a dataset file is unusable; says which file, line, row and field, what is wrong and what to do.</summary>
/// <example><code>
/// try { foreach (var row in DatasetReader.Open(path)) { } }
/// catch (DatasetException e) { Console.Error.WriteLine($"{e.File}:{e.Line} field {e.Field}: {e.Message}"); }
/// </code></example>
public sealed class DatasetException : Exception
{
    /// <summary>Creates the exception; the message is composed from the parts.</summary>
    public DatasetException(string file, long line, long row, string? field, string problem, Exception? inner = null)
        : base(Compose(file, line, row, field, problem), inner)
    {
        File = file;
        Line = line;
        Row = row;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>1-based line where the row starts.</summary>
    public long Line { get; }

    /// <summary>0-based data row index.</summary>
    public long Row { get; }

    /// <summary>The field at fault (e.g. <c>messages[1].role</c>), or null when the whole row is.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Compose(string file, long line, long row, string? field, string problem) =>
        $"{file}:{line} (row {row}){(field is null ? "" : $", field '{field}'")}: {problem} " +
        "Fix the row, or read with BadRows = BadRowPolicy.Skip to skip and count such rows.";
}
