using System.Text;

namespace Parley.Tokenization;

/// <summary>
/// A model that turns one pre-tokenized piece into tokens (HF <c>WordLevel</c>, <c>WordPiece</c>, <c>Unigram</c>);
/// <see cref="PipelineModel"/> runs the normalizer and pre-tokenizer around it.
/// </summary>
internal interface IPieceModel
{
    int VocabularySize { get; }

    bool TryGetId(string token, out int id);

    string? GetToken(int id);

    /// <summary>Appends each token of <paramref name="piece"/> with its start inside the piece.</summary>
    void EncodePiece(ReadOnlySpan<char> piece, List<(int Id, int Start)> output);
}

/// <summary>A vocabulary shared by the piece models: token → id and id → token.</summary>
internal sealed class PieceVocabulary
{
    public PieceVocabulary(string[] tokens, Dictionary<string, int> ids)
    {
        Tokens = tokens;
        Ids = ids;
        BySpan = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string[] Tokens { get; }

    public Dictionary<string, int> Ids { get; }

    public Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> BySpan { get; }
}

/// <summary>HF <c>WordLevel</c>: each piece is one vocabulary entry, or the unknown token.</summary>
internal sealed class WordLevelModel(PieceVocabulary vocab, int unkId, string source) : IPieceModel
{
    public int VocabularySize => vocab.Tokens.Length;

    public bool TryGetId(string token, out int id) => vocab.Ids.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)vocab.Tokens.Length ? vocab.Tokens[id] : null;

    public void EncodePiece(ReadOnlySpan<char> piece, List<(int Id, int Start)> output)
    {
        if (vocab.BySpan.TryGetValue(piece, out int id)) output.Add((id, 0));
        else if (unkId >= 0) output.Add((unkId, 0));
        else throw new InvalidOperationException($"'{piece.ToString()}' is not in the WordLevel vocabulary of {source}, which sets no unk_token.");
    }
}

/// <summary>
/// HF <c>WordPiece</c> (BERT): greedy longest match from the left, later pieces carrying
/// <c>continuing_subword_prefix</c>; a word with an unmatched rest, or longer than <c>max_input_chars_per_word</c>,
/// is one unknown token.
/// </summary>
internal sealed class WordPieceModel(PieceVocabulary vocab, int unkId, string prefix, int maxInputCharsPerWord, string source) : IPieceModel
{
    public int VocabularySize => vocab.Tokens.Length;

    public bool TryGetId(string token, out int id) => vocab.Ids.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)vocab.Tokens.Length ? vocab.Tokens[id] : null;

    public void EncodePiece(ReadOnlySpan<char> piece, List<(int Id, int Start)> output)
    {
        int chars = 0;
        foreach (Rune _ in piece.EnumerateRunes()) chars++;
        if (chars > maxInputCharsPerWord) { Unknown(piece, output); return; }

        int before = output.Count;
        Span<char> key = piece.Length + prefix.Length <= 256 ? stackalloc char[piece.Length + prefix.Length] : new char[piece.Length + prefix.Length];
        prefix.AsSpan().CopyTo(key);
        int start = 0;
        while (start < piece.Length)
        {
            int end = piece.Length;
            int found = -1;
            while (start < end)
            {
                scoped ReadOnlySpan<char> candidate;
                if (start > 0)
                {
                    piece[start..end].CopyTo(key[prefix.Length..]);
                    candidate = key[..(prefix.Length + end - start)];
                }
                else candidate = piece[..end];
                if (vocab.BySpan.TryGetValue(candidate, out found)) break;
                found = -1;
                end--;
                if (end > start && char.IsLowSurrogate(piece[end]) && char.IsHighSurrogate(piece[end - 1])) end--;
            }
            if (found < 0)
            {
                output.RemoveRange(before, output.Count - before);
                Unknown(piece, output);
                return;
            }
            output.Add((found, start));
            start = end;
        }
    }

    private void Unknown(ReadOnlySpan<char> piece, List<(int Id, int Start)> output)
    {
        if (unkId < 0) throw new InvalidOperationException($"'{piece.ToString()}' has no WordPiece split in {source}, which sets no unk_token.");
        output.Add((unkId, 0));
    }
}

/// <summary>
/// HF <c>Unigram</c> (T5, ALBERT, XLM-R; SentencePiece unigram): the segmentation with the highest total score (Viterbi);
/// a char no piece starts with scores <c>min_score − 10</c> as unknown, runs of unknowns fuse, and with
/// <c>byte_fallback</c> an unknown run becomes its UTF-8 bytes (<c>&lt;0xXX&gt;</c>) when all of them are pieces.
/// Ties keep the earlier, shorter candidate, as HF's trie walk does.
/// </summary>
internal sealed class UnigramModel : IPieceModel
{
    private const double UnknownPenalty = 10.0;
    private readonly PieceVocabulary _vocab;
    private readonly double[] _scores;
    private readonly bool[] _matchable;
    private readonly int _unkId;
    private readonly bool _byteFallback;
    private readonly int _maxPieceLength;
    private readonly double _unknownScore;
    private readonly int[] _byteIds = new int[256];
    private readonly string _source;
    private readonly bool _singlePrecision;
    private readonly bool _lookUpFusedUnknowns;

    /// <summary>A Unigram model over <paramref name="vocab"/>.</summary>
    /// <param name="vocab">Pieces and their ids.</param>
    /// <param name="scores">Log-probability per id.</param>
    /// <param name="unkId">The unknown piece, or -1.</param>
    /// <param name="byteFallback">Whether unknown runs are spelled in <c>&lt;0xXX&gt;</c> pieces when all exist.</param>
    /// <param name="source">Names the file in errors.</param>
    /// <param name="matchable">Which ids the segmentation may use (SentencePiece leaves control and unused pieces out); null for all.</param>
    /// <param name="unknownScore">The score of an unknown char; default the lowest score minus 10.</param>
    /// <param name="singlePrecision">Sum path scores in float, as the SentencePiece library does (HF sums in double).</param>
    /// <param name="lookUpFusedUnknowns">Whether a fused unknown run that happens to be a piece becomes that piece (HF) or stays unknown (SentencePiece).</param>
    public UnigramModel(PieceVocabulary vocab, double[] scores, int unkId, bool byteFallback, string source, bool[]? matchable = null,
        double? unknownScore = null, bool singlePrecision = false, bool lookUpFusedUnknowns = true)
    {
        _singlePrecision = singlePrecision;
        _lookUpFusedUnknowns = lookUpFusedUnknowns;
        _vocab = vocab;
        _scores = scores;
        _unkId = unkId;
        _byteFallback = byteFallback;
        _source = source;
        _matchable = matchable ?? Enumerable.Repeat(true, vocab.Tokens.Length).ToArray();
        double min = double.MaxValue;
        for (int id = 0; id < vocab.Tokens.Length; id++)
        {
            if (vocab.Tokens[id] is not { } t) continue;
            min = Math.Min(min, scores[id]);
            if (_matchable[id]) _maxPieceLength = Math.Max(_maxPieceLength, t.Length);
        }
        _unknownScore = unknownScore ?? (min == double.MaxValue ? 0 : min) - UnknownPenalty;
        for (int b = 0; b < 256; b++) _byteIds[b] = vocab.Ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    public int VocabularySize => _vocab.Tokens.Length;

    public bool TryGetId(string token, out int id) => _vocab.Ids.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)_vocab.Tokens.Length ? _vocab.Tokens[id] : null;

    public void EncodePiece(ReadOnlySpan<char> piece, List<(int Id, int Start)> output)
    {
        int n = piece.Length;
        if (n == 0) return;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var ids = new int[n + 1];
        Array.Fill(from, -1);
        from[0] = 0;
        for (int start = 0; start < n;)
        {
            int units = char.IsHighSurrogate(piece[start]) && start + 1 < n && char.IsLowSurrogate(piece[start + 1]) ? 2 : 1;
            if (from[start] < 0) { start += units; continue; }
            bool single = false;
            int limit = Math.Min(n - start, _maxPieceLength);
            for (int length = 1; length <= limit; length++)
            {
                int end = start + length;
                if (end < n && char.IsLowSurrogate(piece[end]) && char.IsHighSurrogate(piece[end - 1])) continue;
                if (!_vocab.BySpan.TryGetValue(piece.Slice(start, length), out int id) || !_matchable[id]) continue;
                double candidate = Add(best[start], _scores[id]);
                if (from[end] < 0 || candidate > best[end]) { best[end] = candidate; from[end] = start; ids[end] = id; }
                if (length == units) single = true;
            }
            if (!single)
            {
                int end = start + units;
                double candidate = Add(best[start], _unknownScore);
                if (from[end] < 0 || candidate > best[end]) { best[end] = candidate; from[end] = start; ids[end] = -1; }
            }
            start += units;
        }

        var path = new List<(int Id, int Start, int End)>();
        for (int end = n; end > 0; end = from[end]) path.Add((ids[end], from[end], end));
        path.Reverse();

        for (int i = 0; i < path.Count; i++)
        {
            var (id, start, end) = path[i];
            if (id >= 0) { output.Add((id, start)); continue; }
            while (i + 1 < path.Count && path[i + 1].Id < 0) end = path[++i].End; // fuse unknowns
            if (_lookUpFusedUnknowns && _vocab.BySpan.TryGetValue(piece[start..end], out int whole)) { output.Add((whole, start)); continue; }
            if (_byteFallback && TryBytes(piece[start..end], start, output)) continue;
            if (_unkId < 0) throw new InvalidOperationException($"'{piece[start..end].ToString()}' has no Unigram piece in {_source}, which sets no unk_id.");
            output.Add((_unkId, start));
        }
    }

    private double Add(double pathScore, double score) => _singlePrecision ? (float)pathScore + (float)score : pathScore + score;

    private bool TryBytes(ReadOnlySpan<char> text, int start, List<(int Id, int Start)> output)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToArray());
        foreach (byte b in bytes) if (_byteIds[b] < 0) return false;
        foreach (byte b in bytes) output.Add((_byteIds[b], start));
        return true;
    }
}

/// <summary>
/// Normalizer, pre-tokenizer and decoder around an <see cref="IPieceModel"/>: the HF pipeline for the models that
/// are not BPE. Offsets map back through the normalizer.
/// </summary>
internal sealed class PipelineModel(
    IPieceModel model,
    TextNormalizer? normalizer,
    RegexPreTokenizer? splitter,
    MetaspacePreTokenizer? metaspace,
    TokenDecoder decoder,
    Func<int, bool>? isControl = null) : ITokenModel
{
    [ThreadStatic] private static List<(int Start, int Length)>? t_pieces;
    [ThreadStatic] private static List<(int Id, int Start)>? t_tokens;

    public int VocabularySize => model.VocabularySize;

    public bool TryGetId(string token, out int id) => model.TryGetId(token, out id);

    public string? GetToken(int id) => model.GetToken(id);

    public bool IsControl(int id) => isControl?.Invoke(id) ?? false;

    public string Decode(IReadOnlyList<(int Id, string? Added)> tokens) =>
        decoder.Decode(tokens.Select(t => t.Added ?? model.GetToken(t.Id) ?? "").ToList());

    public void Encode(ReadOnlySpan<char> text, int offset, TokenSink sink)
    {
        if (text.IsEmpty) return;
        ReadOnlySpan<char> normalized = text;
        int[]? map = null;
        if (normalizer is not null && normalizer.TryNormalize(text, out NormalizedText n))
        {
            normalized = n.Text;
            map = n.Map;
        }
        if (metaspace is not null && metaspace.TryTransform(normalized, offset == 0, out NormalizedText m))
        {
            if (m.Map is not null && map is not null)
                for (int i = 0; i < m.Map.Length; i++) m.Map[i] = map[m.Map[i]];
            normalized = m.Text;
            map = m.Map ?? map;
        }

        List<(int Start, int Length)> pieces = t_pieces ??= new List<(int, int)>(256);
        pieces.Clear();
        if (metaspace is { SplitsAtReplacement: true }) metaspace.Split(normalized, pieces);
        else if (splitter is not null) splitter.Split(normalized, pieces);
        else pieces.Add((0, normalized.Length));

        // Pieces come from the pre-tokenizer in order; copy them so a nested Encode on this thread cannot clobber them.
        (int Start, int Length)[] ordered = pieces.ToArray();
        List<(int Id, int Start)> tokens = t_tokens ??= new List<(int, int)>(64);
        foreach ((int start, int length) in ordered)
        {
            tokens.Clear();
            model.EncodePiece(normalized.Slice(start, length), tokens);
            foreach ((int id, int at) in tokens)
                sink.Add(id, offset + (map is null ? start + at : map[start + at]));
        }
    }
}
