namespace Parley.Tokenization;

/// <summary>Where a model writes tokens: ids, and (when offsets are wanted) each token's start in the input text.</summary>
internal sealed class TokenSink
{
    public TokenSink(bool withOffsets, int capacity = 64)
    {
        Ids = new List<int>(capacity);
        Starts = withOffsets ? new List<int>(capacity) : null;
    }

    /// <summary>A sink that appends ids to the caller's list, without offsets.</summary>
    public TokenSink(List<int> ids) => Ids = ids;

    public List<int> Ids { get; }

    /// <summary>Start of each token in the original text; null when offsets are not wanted.</summary>
    public List<int>? Starts { get; }

    public void Add(int id, int start)
    {
        Ids.Add(id);
        Starts?.Add(start);
    }
}

/// <summary>
/// A tokenization model: turns a stretch of text that holds no added tokens into ids. Implementations are
/// immutable and safe to call from many threads.
/// </summary>
internal interface ITokenModel
{
    /// <summary>One more than the largest id the model itself defines.</summary>
    int VocabularySize { get; }

    /// <summary>Encodes <paramref name="text"/>, which starts at <paramref name="offset"/> in the original input.</summary>
    void Encode(ReadOnlySpan<char> text, int offset, TokenSink sink);

    /// <summary>The id of a vocabulary entry.</summary>
    bool TryGetId(string token, out int id);

    /// <summary>The vocabulary entry of an id, or null.</summary>
    string? GetToken(int id);

    /// <summary>Whether a model id is a control token (SentencePiece's <c>&lt;s&gt;</c>); added tokens are handled apart.</summary>
    bool IsControl(int id);

    /// <summary>
    /// Turns a token sequence into text: each entry is a model id, or (when <c>Added</c> is set) an added token's text.
    /// </summary>
    string Decode(IReadOnlyList<(int Id, string? Added)> tokens);
}
