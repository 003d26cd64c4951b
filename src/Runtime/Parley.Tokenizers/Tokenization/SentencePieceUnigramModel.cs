using System.Text;

namespace Parley.Tokenization;

/// <summary>
/// SentencePiece's unigram model (<c>unigram_model.cc</c>, the T5/ALBERT/XLNet kind of <c>.model</c> file) with its own
/// normalizer (<c>normalizer.cc</c>): the precompiled charsmap applied by longest match, extra whitespace removed,
/// a dummy <c>▁</c> prefix, spaces escaped to <c>▁</c>; then the best-scoring segmentation over normal and user-defined
/// pieces (user-defined score <c>bytes × max score − 0.1</c>), unknown chars at <c>min score − 10</c>, unknown runs fused,
/// and byte fallback. Scores add in float, as in the library.
/// </summary>
internal sealed class SentencePieceUnigramModel : ITokenModel
{
    private const char Space = '\u2581';
    private readonly SentencePieceModelProto _proto;
    private readonly PrecompiledNormalizer? _charsMap;
    private readonly UnigramModel _unigram;
    private readonly string[] _pieces;
    private readonly PieceType[] _types;
    private readonly Dictionary<string, int> _vocab;
    private readonly TokenDecoder _decoder;

    public SentencePieceUnigramModel(SentencePieceModelProto proto, string file)
    {
        if (proto.TreatWhitespaceAsSuffix)
            throw new TokenizerFormatException(file, "trainer_spec.treat_whitespace_as_suffix", "whitespace-as-suffix models are not supported.");
        _proto = proto;
        int n = proto.Pieces.Count;
        _pieces = new string[n];
        _types = new PieceType[n];
        _vocab = new Dictionary<string, int>(n, StringComparer.Ordinal);
        var scores = new double[n];
        var matchable = new bool[n];
        double min = double.MaxValue, max = double.MinValue;
        for (int id = 0; id < n; id++)
        {
            SentencePiece p = proto.Pieces[id];
            _pieces[id] = p.Piece;
            _types[id] = p.Type;
            _vocab.TryAdd(p.Piece, id);
            scores[id] = p.Score;
            matchable[id] = p.Type is PieceType.Normal or PieceType.UserDefined;
            if (p.Type == PieceType.Normal) { min = Math.Min(min, p.Score); max = Math.Max(max, p.Score); }
        }
        for (int id = 0; id < n; id++)
            if (_types[id] == PieceType.UserDefined) scores[id] = (float)(Encoding.UTF8.GetByteCount(_pieces[id]) * (float)max - 0.1f);
        _unigram = new UnigramModel(new PieceVocabulary(_pieces, _vocab), scores, proto.UnkId, proto.ByteFallback, file, matchable,
            unknownScore: (float)min - 10f, singlePrecision: true, lookUpFusedUnknowns: false);
        _charsMap = proto.PrecompiledCharsMap.Length > 0
            ? PrecompiledNormalizer.FromBlob(proto.PrecompiledCharsMap, file, "normalizer_spec.precompiled_charsmap")
            : null;
        var steps = new List<DecoderStep> { new ByteFallbackDecoderStep(), new ReplaceDecoderStep("\u2581", " "), new FuseDecoderStep() };
        if (proto.AddDummyPrefix) steps.Add(new StripDecoderStep(' ', 1, 0));
        _decoder = new TokenDecoder(steps);
    }

    public int VocabularySize => _pieces.Length;

    public bool TryGetId(string token, out int id) => _vocab.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id] : null;

    public bool IsControl(int id) => (uint)id < (uint)_types.Length && _types[id] == PieceType.Control;

    public string Decode(IReadOnlyList<(int Id, string? Added)> tokens) =>
        _decoder.Decode(tokens.Select(t => t.Added ?? _pieces[t.Id]).ToList());

    [ThreadStatic] private static List<(int Id, int Start)>? t_tokens;

    public void Encode(ReadOnlySpan<char> text, int offset, TokenSink sink)
    {
        if (text.IsEmpty) return;
        (string normalized, int[] map) = Normalize(text);
        if (normalized.Length == 0) return;
        List<(int Id, int Start)> tokens = t_tokens ??= new List<(int, int)>(64);
        tokens.Clear();
        _unigram.EncodePiece(normalized, tokens);
        foreach ((int id, int at) in tokens) sink.Add(id, offset + map[at]);
    }

    // normalizer.cc Normalize: charsmap by longest match (one char copied when no rule applies), leading and repeated
    // spaces dropped, spaces escaped, a dummy prefix, trailing spaces dropped. map[i] = input index of output char i.
    private (string Text, int[] Map) Normalize(ReadOnlySpan<char> text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text.ToArray());
        // UTF-8 byte index → UTF-16 index, to map outputs back.
        var charAt = new int[utf8.Length + 1];
        for (int i = 0, b = 0; i < text.Length;)
        {
            int units = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int bytes = Encoding.UTF8.GetByteCount(text.Slice(i, units));
            for (int k = 0; k < bytes; k++) charAt[b + k] = i;
            b += bytes;
            i += units;
            charAt[b] = i;
        }

        bool removeExtra = _proto.RemoveExtraWhitespaces;
        char space = _proto.EscapeWhitespaces ? Space : ' ';
        var sb = new StringBuilder(text.Length + 2);
        var map = new List<int>(text.Length + 3);
        if (_proto.AddDummyPrefix) { sb.Append(space); map.Add(0); }
        bool prevSpace = removeExtra;
        int pos = 0;
        while (pos < utf8.Length)
        {
            ReadOnlySpan<byte> rest = utf8.AsSpan(pos);
            string piece;
            int consumed;
            if (_charsMap is not null && _charsMap.TryLongestPrefix(rest, out consumed, out ReadOnlySpan<byte> replacement))
                piece = Encoding.UTF8.GetString(replacement);
            else
            {
                consumed = Math.Max(1, OneCharLength(rest));
                piece = Encoding.UTF8.GetString(rest[..consumed]);
            }
            ReadOnlySpan<char> sp = piece;
            if (prevSpace && removeExtra) sp = sp.TrimStart(' ');
            if (!sp.IsEmpty)
            {
                foreach (char c in sp)
                {
                    sb.Append(c == ' ' ? space : c);
                    map.Add(charAt[pos]);
                }
                prevSpace = sp[^1] == ' ';
            }
            pos += consumed;
            if (!removeExtra) prevSpace = false;
        }
        if (removeExtra)
            while (sb.Length > 0 && sb[^1] == space) { sb.Length--; map.RemoveAt(map.Count - 1); }
        map.Add(text.Length);
        return (sb.ToString(), map.ToArray());
    }

    private static int OneCharLength(ReadOnlySpan<byte> s)
    {
        byte b = s[0];
        int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        return Math.Min(n, s.Length);
    }
}
