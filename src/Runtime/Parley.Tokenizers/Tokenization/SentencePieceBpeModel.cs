using System.Buffers;
using System.Text;

namespace Parley.Tokenization;

/// <summary>
/// SentencePiece's BPE model (<c>bpe_model.cc</c>), reading a <c>.model</c> file: the identity normalizer with
/// <c>add_dummy_prefix</c>, <c>remove_extra_whitespaces</c> and <c>▁</c> escaping, merges in piece-score order
/// (ties leftmost), byte fallback to <c>&lt;0xXX&gt;</c> pieces. Control pieces in text stay plain text, as in
/// the SentencePiece library.
/// </summary>
internal sealed class SentencePieceBpeModel : ITokenModel
{
    private const char Space = '\u2581';

    private readonly SentencePieceModelProto _proto;
    private readonly string[] _pieces;
    private readonly PieceType[] _types;
    private readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _symbolBySpan;
    private readonly Dictionary<string, int> _symbols = new(StringComparer.Ordinal);
    private readonly MergeTable _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly string[] _userDefined;
    private readonly TokenDecoder _decoder;
    private readonly bool _splitBeforeWordStarts;

    public SentencePieceBpeModel(SentencePieceModelProto proto, string file)
    {
        if (proto.ModelType != 2)
            throw new TokenizerFormatException(file, "trainer_spec.model_type",
                $"model type {proto.ModelType} ({(proto.ModelType == 1 ? "unigram" : "word/char")}) is not supported; Parley reads SentencePiece BPE models (Llama, Phi-3, llama2.c).");
        if (proto.NormalizerName != "identity" && proto.PrecompiledCharsMapLength > 0)
            throw new TokenizerFormatException(file, "normalizer_spec.name",
                $"normalizer '{proto.NormalizerName}' uses a precompiled character map, which is not supported; Parley reads models trained with normalization_rule_name=identity.");
        if (proto.TreatWhitespaceAsSuffix)
            throw new TokenizerFormatException(file, "trainer_spec.treat_whitespace_as_suffix", "whitespace-as-suffix models are not supported.");

        _proto = proto;
        int n = proto.Pieces.Count;
        _pieces = new string[n];
        _types = new PieceType[n];
        Array.Fill(_byteIds, -1);
        for (int id = 0; id < n; id++)
        {
            SentencePiece p = proto.Pieces[id];
            _pieces[id] = p.Piece;
            _types[id] = p.Type;
            _vocab.TryAdd(p.Piece, id);
            if (p.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused) _symbols.TryAdd(p.Piece, id);
            if (p.Type == PieceType.Byte && ByteFallbackDecoderStep.TryParseByte(p.Piece, out byte b)) _byteIds[b] = id;
        }
        _symbolBySpan = _symbols.GetAlternateLookup<ReadOnlySpan<char>>();
        _userDefined = proto.Pieces.Where(p => p.Type == PieceType.UserDefined).Select(p => p.Piece)
            .OrderByDescending(p => p.Length).ToArray();
        _merges = BuildMerges(proto);
        _splitBeforeWordStarts = _symbols.Keys.All(p =>
        {
            for (int k = 1; k < p.Length; k++)
                if (p[k] == Space && p[k - 1] != Space) return false;
            return true;
        });

        var steps = new List<DecoderStep> { new ReplaceDecoderStep("\u2581", " "), new ByteFallbackDecoderStep(), new FuseDecoderStep() };
        if (proto.AddDummyPrefix) steps.Add(new StripDecoderStep(' ', 1, 0));
        _decoder = new TokenDecoder(steps);
    }

    public SentencePieceModelProto Proto => _proto;

    public int VocabularySize => _pieces.Length;

    public bool TryGetId(string token, out int id) => _vocab.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id] : null;

    public bool IsControl(int id) => (uint)id < (uint)_types.Length && _types[id] is PieceType.Control;

    public string Decode(IReadOnlyList<(int Id, string? Added)> tokens) =>
        _decoder.Decode(tokens.Select(t => t.Added ?? (_types[t.Id] == PieceType.Control ? "" : _pieces[t.Id])).ToList());

    // Every way of writing a normal piece as two symbols becomes a merge; its rank orders pieces by score
    // (higher first), equal scores sharing a rank so that the leftmost pair wins, as in bpe_model.cc.
    private MergeTable BuildMerges(SentencePieceModelProto proto)
    {
        float[] scores = proto.Pieces.Select(p => p.Score).Distinct().OrderByDescending(s => s).ToArray();
        var rankOf = new Dictionary<float, int>(scores.Length);
        for (int i = 0; i < scores.Length; i++) rankOf[scores[i]] = i;

        var table = MergeTable.NewBuilder();
        for (int id = 0; id < proto.Pieces.Count; id++)
        {
            SentencePiece p = proto.Pieces[id];
            if (p.Type is not (PieceType.Normal or PieceType.UserDefined)) continue;
            ReadOnlySpan<char> s = p.Piece;
            for (int k = 1; k < s.Length; k++)
            {
                if (char.IsLowSurrogate(s[k])) continue;
                if (_symbolBySpan.TryGetValue(s[..k], out int left) && _symbolBySpan.TryGetValue(s[k..], out int right))
                    table.TryAdd(MergeTable.Key(left, right), new MergeTarget(rankOf[p.Score], id));
            }
        }
        return new MergeTable(table);
    }

    public void Encode(ReadOnlySpan<char> text, int offset, TokenSink sink)
    {
        if (!Normalize(text, out string normalized, out int[] map)) return;
        ReadOnlySpan<char> s = normalized;
        if (!_splitBeforeWordStarts)
        {
            EncodeWord(s, 0, s.Length, map, offset, sink);
            return;
        }
        // No piece holds ▁ after another char, so merges never cross a word start: encode word by word.
        int start = 0;
        for (int search = 1; search < s.Length;)
        {
            int rel = s[search..].IndexOf(Space);
            if (rel < 0) break;
            int at = search + rel;
            if (s[at - 1] != Space)
            {
                EncodeWord(s, start, at, map, offset, sink);
                start = at;
            }
            search = at + 1;
        }
        EncodeWord(s, start, s.Length, map, offset, sink);
    }

    private void EncodeWord(ReadOnlySpan<char> s, int from, int to, int[] map, int offset, TokenSink sink)
    {
        int capacity = to - from;
        int[] rented = ArrayPool<int>.Shared.Rent(capacity * 2);
        Span<int> ids = rented.AsSpan(0, capacity);
        Span<int> lengths = rented.AsSpan(capacity, capacity);
        int n = 0;
        for (int i = from; i < to;)
        {
            int units = MatchUserDefined(s[i..to]);
            if (units == 0) units = char.IsHighSurrogate(s[i]) && i + 1 < to && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
            // Chars that are not pieces get distinct negative ids, so the merge table never matches them.
            ids[n] = _symbolBySpan.TryGetValue(s.Slice(i, units), out int id) ? id : -1 - i;
            lengths[n] = units;
            n++;
            i += units;
        }

        int merged = BpeMerger.Merge(_merges, ids[..n], lengths[..n]);
        int unit = from;
        Span<byte> utf8 = stackalloc byte[8];
        for (int t = 0; t < merged; t++)
        {
            int start = offset + map[unit];
            if (ids[t] >= 0) sink.Add(ids[t], start);
            else EmitUnknown(s.Slice(unit, lengths[t]), start, offset + map[unit + lengths[t]], utf8, sink);
            unit += lengths[t];
        }
        ArrayPool<int>.Shared.Return(rented);
    }

    private void EmitUnknown(ReadOnlySpan<char> symbol, int start, int end, Span<byte> utf8, TokenSink sink)
    {
        if (_proto.ByteFallback)
        {
            int count = Encoding.UTF8.GetBytes(symbol, utf8);
            bool all = true;
            for (int b = 0; b < count; b++) all &= _byteIds[utf8[b]] >= 0;
            if (all)
            {
                for (int b = 0; b < count; b++) sink.Add(_byteIds[utf8[b]], b == 0 ? start : end);
                return;
            }
        }
        sink.Add(_proto.UnkId, start);
    }

    private int MatchUserDefined(ReadOnlySpan<char> s)
    {
        foreach (string p in _userDefined)
            if (s.StartsWith(p, StringComparison.Ordinal)) return p.Length;
        return 0;
    }

    /// <summary>SentencePiece's identity normalization; false when nothing is left to encode.</summary>
    private bool Normalize(ReadOnlySpan<char> text, out string normalized, out int[] map)
    {
        bool removeExtra = _proto.RemoveExtraWhitespaces;
        char space = _proto.EscapeWhitespaces ? Space : ' ';
        int i = 0;
        if (removeExtra) while (i < text.Length && text[i] == ' ') i++;
        if (i == text.Length) { normalized = ""; map = []; return false; }

        var sb = new StringBuilder(text.Length + 1);
        var m = new List<int>(text.Length + 2);
        if (_proto.AddDummyPrefix) { sb.Append(space); m.Add(i); }
        bool prevSpace = removeExtra;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c == ' ')
            {
                if (prevSpace && removeExtra) continue;
                sb.Append(space);
                m.Add(i);
                prevSpace = true;
            }
            else
            {
                sb.Append(c);
                m.Add(i);
                prevSpace = false;
            }
            if (!removeExtra) prevSpace = false;
        }
        if (removeExtra)
            while (sb.Length > 0 && sb[^1] == space) { sb.Length--; m.RemoveAt(m.Count - 1); }
        m.Add(text.Length);
        normalized = sb.ToString();
        map = m.ToArray();
        return normalized.Length > 0;
    }
}
