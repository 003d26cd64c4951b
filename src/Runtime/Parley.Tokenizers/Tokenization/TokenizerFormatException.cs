namespace Parley.Tokenization;

/// <summary>
/// A tokenizer file (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>, a SentencePiece <c>.model</c>) is malformed or
/// uses a feature Parley does not implement. The message names the file and the field.
/// </summary>
/// <example><code>
/// try { var tok = ParleyTokenizer.FromTokenizerJson("tokenizer.json"); }
/// catch (TokenizerFormatException e) { Console.Error.WriteLine($"{e.FileName}: {e.Field}: {e.Message}"); }
/// </code></example>
public sealed class TokenizerFormatException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fileName">The file that was read (a path, or a description such as <c>"(stream)"</c>).</param>
    /// <param name="field">The JSON path or protobuf field at fault, e.g. <c>model.merges[12]</c>.</param>
    /// <param name="problem">What was wrong and what to do about it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public TokenizerFormatException(string fileName, string field, string problem, Exception? inner = null)
        : base($"{fileName}: {field}: {problem}", null, fileName, 0, field, inner)
    {
        FileName = fileName;
    }

    /// <summary>The file that was read.</summary>
    public string FileName { get; }
}
