namespace Parley.Data;

/// <summary>A dataset file as a whole is unusable (an unsupported format, not a problem of one row).</summary>
/// <example><code>
/// try { DatasetReader.Open("notes.txt"); }
/// catch (DatasetFileException e) { Console.Error.WriteLine(e.Message); } // names the file and the formats read
/// </code></example>
public sealed class DatasetFileException : ParleyException
{
    /// <summary>Creates the exception; the message reads <c>file: problem</c>.</summary>
    /// <param name="file">The dataset file.</param>
    /// <param name="problem">What is wrong and what to do.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public DatasetFileException(string file, string problem, Exception? inner = null)
        : base($"{file}: {problem}", null, file, 0, null, inner)
    {
    }
}
