namespace Parley;

/// <summary>
/// The base of every error a Parley user can fix: a bad data row, a malformed tokenizer file, a template that cannot
/// format a conversation, a config field, a checkpoint that does not match the run. It says what is wrong, where
/// (<see cref="File"/>, <see cref="Line"/>, <see cref="Field"/> when known) and what to change (<see cref="Hint"/>).
/// Anything that is not a <see cref="ParleyException"/> (nor one of the few I/O errors <see cref="UserErrors"/> lists)
/// is a bug in Parley; <see cref="UserErrors"/> is the one place that draws that line for every entry point.
/// </summary>
/// <example><code>
/// try { Run(); }
/// catch (ParleyException e) { Console.Error.WriteLine($"{e.File}:{e.Line} {e.Field}: {e.Message}"); return 1; }
/// </code></example>
public abstract class ParleyException : Exception
{
    /// <summary>Creates the exception; <see cref="Exception.Message"/> is <paramref name="problem"/> followed by <paramref name="hint"/>.</summary>
    /// <param name="problem">What is wrong, with its location written in (e.g. <c>data.jsonl:3 (row 2): ...</c>).</param>
    /// <param name="hint">What to change, in the library's terms (option and property names); null when the problem says it.</param>
    /// <param name="file">The file at fault, when there is one.</param>
    /// <param name="line">The 1-based line (or row, for Parquet) in <paramref name="file"/>; 0 when unknown.</param>
    /// <param name="field">The field at fault (a JSON path, a column, a config field, a protobuf field), when known.</param>
    /// <param name="inner">The underlying error, if any.</param>
    protected ParleyException(string problem, string? hint = null, string? file = null, long line = 0, string? field = null, Exception? inner = null)
        : base(hint is null ? problem : problem + " " + hint, inner)
    {
        Problem = problem;
        Hint = hint;
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>What is wrong (with its location), without <see cref="Hint"/>.</summary>
    public string Problem { get; }

    /// <summary>What to change, in the library's terms; a command-line tool may say it in its own (see <see cref="UserErrors.Describe"/>).</summary>
    public string? Hint { get; }

    /// <summary>The file at fault, when there is one.</summary>
    public string? File { get; }

    /// <summary>The 1-based line (or row) in <see cref="File"/>; 0 when unknown.</summary>
    public long Line { get; }

    /// <summary>The field at fault (e.g. <c>messages[1].role</c>, <c>model.merges[12]</c>, <c>learning_rate</c>), when known.</summary>
    public string? Field { get; }
}

/// <summary>A configuration value (a config file field, a command-line option, a service setting) is missing or invalid.</summary>
/// <example><code>throw new ConfigException("train.json", "learning_rate", "expected a number, got a string.");</code></example>
public sealed class ConfigException : ParleyException
{
    /// <summary>Creates the exception; the message reads <c>file: field 'name': problem</c> (or <c>name: problem</c> without a file).</summary>
    /// <param name="file">The config file, or null for a command-line option or setting.</param>
    /// <param name="field">The field or option (e.g. <c>learning_rate</c>, <c>--max-body-bytes</c>).</param>
    /// <param name="problem">What is wrong and what to use instead.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public ConfigException(string? file, string field, string problem, Exception? inner = null)
        : base(file is null ? $"{field}: {problem}" : $"{file}: field '{field}': {problem}", null, file, 0, field, inner)
    {
    }
}
