using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Parley.Tokenization;

/// <summary>Everything a HF <c>"type": "BPE"</c> model needs, as read from <c>tokenizer.json</c>.</summary>
internal sealed record BpeModelSpec(
    string[] Tokens,
    Dictionary<string, int> Vocabulary,
    MergeTable Merges,
    bool ByteLevel,
    bool ByteFallback,
    int UnknownId,
    bool FuseUnknown,
    bool IgnoreMerges,
    TextNormalizer? Normalizer,
    RegexPreTokenizer? PreTokenizer,
    TokenDecoder Decoder,
    MetaspacePreTokenizer? Metaspace = null,
    bool AddPrefixSpace = false,
    string ContinuingSubwordPrefix = "",
    string EndOfWordSuffix = "");

/// <summary>
/// HF tokenizers' BPE model, both flavours: byte-level (GPT-2, OPT, Qwen: bytes map to printable chars, a
/// pre-tokenizer regex cuts words, results are cached per word) and char-level with byte fallback
/// (Llama/Phi-3 <c>tokenizer.json</c>: <c>▁</c> normalizer, no pre-tokenizer, unknown chars become <c>&lt;0xXX&gt;</c>).
/// </summary>
internal sealed class BpeModel : ITokenModel
{
    private const char WordStart = '\u2581';
    private const int MaxCachedLength = 64;
    private const int MaxCachedCharLevelLength = 256;
    private const int MaxCacheEntries = 1 << 18;

    private readonly BpeModelSpec _spec;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly int[] _byteIds = new int[256];
    private readonly int[] _tokenByteLength;
    private readonly bool _splitBeforeWordStarts;
    private readonly bool _hasAffixes;
    private readonly bool[] _joinsWordStart;
    private int _cacheCount;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    [ThreadStatic] private static List<(int Start, int Length)>? t_pieces;
    private static readonly PrependNormalizer PrefixSpace = new(" ");

    public BpeModel(BpeModelSpec spec)
    {
        _spec = spec;
        _vocabBySpan = spec.Vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _tokenByteLength = new int[spec.Tokens.Length];
        Array.Fill(_byteIds, -1);
        for (int b = 0; b < 256; b++)
        {
            string key = spec.ByteLevel ? ByteLevelAlphabet.ByteToChar[b].ToString() : $"<0x{b:X2}>";
            if (spec.Vocabulary.TryGetValue(key, out int id)) _byteIds[b] = id;
        }
        _hasAffixes = spec.ContinuingSubwordPrefix.Length > 0 || spec.EndOfWordSuffix.Length > 0;
        _splitBeforeWordStarts = !spec.ByteLevel && !_hasAffixes;
        _joinsWordStart = _splitBeforeWordStarts ? CharsBeforeWordStart(spec.Tokens) : [];
        if (spec.ByteLevel)
            for (int id = 0; id < spec.Tokens.Length; id++)
                _tokenByteLength[id] = spec.Tokens[id]?.Length ?? 0;
    }

    public int VocabularySize => _spec.Tokens.Length;

    public bool TryGetId(string token, out int id) => _spec.Vocabulary.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)_spec.Tokens.Length ? _spec.Tokens[id] : null;

    public bool IsControl(int id) => false;

    public string Decode(IReadOnlyList<(int Id, string? Added)> tokens) =>
        _spec.Decoder.Decode(tokens.Select(t => t.Added ?? _spec.Tokens[t.Id]).ToList());

    public void Encode(ReadOnlySpan<char> text, int offset, TokenSink sink)
    {
        if (text.IsEmpty) return;
        ReadOnlySpan<char> normalized = text;
        int[]? map = null;
        if (_spec.Normalizer is not null && _spec.Normalizer.TryNormalize(text, out NormalizedText n))
        {
            normalized = n.Text;
            map = n.Map;
        }

        if (_spec.AddPrefixSpace && !normalized.IsEmpty && normalized[0] != ' ' && PrefixSpace.TryNormalize(normalized, out NormalizedText spaced))
        {
            if (map is not null)
                for (int i = 0; i < spaced.Map!.Length; i++) spaced.Map[i] = map[spaced.Map[i]];
            normalized = spaced.Text;
            map = spaced.Map;
        }

        if (_spec.Metaspace is not null && _spec.Metaspace.TryTransform(normalized, offset == 0, out NormalizedText m))
        {
            if (m.Map is not null && map is not null)
                for (int i = 0; i < m.Map.Length; i++) m.Map[i] = map[m.Map[i]];
            normalized = m.Text;
            map = m.Map ?? map;
        }

        if (_spec.Metaspace is { SplitsAtReplacement: true })
        {
            List<(int Start, int Length)> words = t_pieces ??= new List<(int, int)>(256);
            words.Clear();
            _spec.Metaspace.Split(normalized, words);
            foreach ((int start, int length) in words)
                EncodePiece(normalized.Slice(start, length), start, map, offset, sink);
            return;
        }

        if (_spec.PreTokenizer is null)
        {
            EncodeWords(normalized, 0, map, offset, sink);
            return;
        }
        List<(int Start, int Length)> pieces = t_pieces ??= new List<(int, int)>(256);
        pieces.Clear();
        _spec.PreTokenizer.Split(normalized, pieces);
        foreach ((int start, int length) in pieces)
            EncodeWords(normalized.Slice(start, length), start, map, offset, sink);
    }

    // BPE merges never cross a boundary that no vocabulary entry spans, so cutting there changes no id; the
    // words are short, hit the cache, and use the fast merge loop instead of one heap over the whole text.
    // (Gemma 3's pre-tokenizer splits on spaces its normalizer already replaced, so each text is one piece: the cut
    // applies inside pieces too.)
    private void EncodeWords(ReadOnlySpan<char> text, int textStart, int[]? map, int offset, TokenSink sink)
    {
        if (!_splitBeforeWordStarts)
        {
            EncodePiece(text, textStart, map, offset, sink);
            return;
        }
        int start = 0;
        int search = 1;
        while (search < text.Length)
        {
            int rel = text[search..].IndexOf(WordStart);
            if (rel < 0) break;
            int at = search + rel;
            if (text[at - 1] != WordStart && !_joinsWordStart[text[at - 1]])
            {
                EncodePiece(text[start..at], textStart + start, map, offset, sink);
                start = at;
            }
            search = at + 1;
        }
        EncodePiece(text[start..], textStart + start, map, offset, sink);
    }

    /// <summary>
    /// The chars some token holds right before a <c>▁</c> (other than <c>▁</c>): text may be cut before a word's
    /// <c>▁</c> unless the char before it is one of these, since a merge across the cut would make a token holding
    /// that pair. Most vocabularies have none (Llama, Phi-3); Gemma 3 has a few.
    /// </summary>
    private static bool[] CharsBeforeWordStart(string[] tokens)
    {
        var result = new bool[char.MaxValue + 1];
        foreach (string? t in tokens)
        {
            if (t is null) continue;
            for (int k = t.IndexOf(WordStart, 1); k > 0; k = k + 1 < t.Length ? t.IndexOf(WordStart, k + 1) : -1)
                if (t[k - 1] != WordStart) result[t[k - 1]] = true;
        }
        return result;
    }

    private void EncodePiece(ReadOnlySpan<char> piece, int pieceStart, int[]? map, int offset, TokenSink sink)
    {
        if (_spec.ByteLevel) EncodeByteLevel(piece, pieceStart, map, offset, sink);
        else EncodeCharLevel(piece, pieceStart, map, offset, sink);
    }

    private void EncodeByteLevel(ReadOnlySpan<char> piece, int pieceStart, int[]? map, int offset, TokenSink sink)
    {
        if (!_cacheBySpan.TryGetValue(piece, out int[]? ids))
        {
            ids = MergeBytes(piece);
            if (piece.Length <= MaxCachedLength) Remember(piece, ids);
        }

        if (sink.Starts is null)
        {
            sink.Ids.AddRange(ids);
            return;
        }

        // Walk chars and bytes together: a token starting inside a multi-byte char starts after that char.
        int charIndex = 0, charByteStart = 0;
        int charBytes = Utf8Length(piece, 0, out int charUnits);
        int bytePos = 0;
        foreach (int id in ids)
        {
            while (charIndex < piece.Length && charByteStart + charBytes <= bytePos)
            {
                charByteStart += charBytes;
                charIndex += charUnits;
                charBytes = Utf8Length(piece, charIndex, out charUnits);
            }
            int unit = bytePos == charByteStart ? charIndex : charIndex + charUnits;
            sink.Add(id, offset + MapUnit(map, pieceStart + unit));
            bytePos += _tokenByteLength[id];
        }
    }

    // ConcurrentDictionary.Count takes every lock, so the size is tracked apart; past the bound the cache restarts.
    private void Remember(ReadOnlySpan<char> piece, int[] value)
    {
        if (Interlocked.Increment(ref _cacheCount) > MaxCacheEntries)
        {
            _cache.Clear();
            Interlocked.Exchange(ref _cacheCount, 0);
        }
        _cacheBySpan.TryAdd(piece, value);
    }

    private int[] MergeBytes(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rentedBytes = null;
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[512] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        int count = Encoding.UTF8.GetBytes(piece, bytes);

        if (_spec.IgnoreMerges)
        {
            Span<char> mapped = count <= 256 ? stackalloc char[count] : new char[count];
            for (int i = 0; i < count; i++) mapped[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
            if (_vocabBySpan.TryGetValue(mapped, out int whole))
            {
                if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
                return [whole];
            }
        }

        int[] rented = ArrayPool<int>.Shared.Rent(count * 2);
        Span<int> ids = rented.AsSpan(0, count);
        Span<int> lengths = rented.AsSpan(count, count);
        for (int i = 0; i < count; i++)
        {
            ids[i] = _byteIds[bytes[i]];
            lengths[i] = 1;
        }
        int merged = BpeMerger.Merge(_spec.Merges, ids, lengths);
        int[] result = ids[..merged].ToArray();
        ArrayPool<int>.Shared.Return(rented);
        if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
        return result;
    }

    private void EncodeCharLevel(ReadOnlySpan<char> piece, int pieceStart, int[]? map, int offset, TokenSink sink)
    {
        if (_spec.IgnoreMerges && _vocabBySpan.TryGetValue(piece, out int whole))
        {
            sink.Add(whole, offset + MapUnit(map, pieceStart));
            return;
        }

        // Cached result: ids followed by their lengths in chars.
        if (!_cacheBySpan.TryGetValue(piece, out int[]? packed))
        {
            packed = MergeChars(piece);
            if (piece.Length <= MaxCachedCharLevelLength) Remember(piece, packed);
        }
        int count = packed.Length / 2;
        if (sink.Starts is null)
        {
            sink.Ids.AddRange(packed.AsSpan(0, count));
            return;
        }
        int unit = 0;
        for (int t = 0; t < count; t++)
        {
            sink.Add(packed[t], offset + MapUnit(map, pieceStart + unit));
            unit += packed[count + t];
        }
    }

    private int[] MergeChars(ReadOnlySpan<char> piece)
    {
        int capacity = piece.Length * 4;
        int[] rented = ArrayPool<int>.Shared.Rent(capacity * 2);
        Span<int> ids = rented.AsSpan(0, capacity);
        Span<int> lengths = rented.AsSpan(capacity, capacity);
        int n = 0;
        bool lastWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < piece.Length;)
        {
            int units = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            if (_hasAffixes ? TryAffixed(piece, i, units, out int id) : _vocabBySpan.TryGetValue(piece.Slice(i, units), out id))
            {
                ids[n] = id; lengths[n] = units; n++;
                lastWasUnknown = false;
            }
            else if (_spec.ByteFallback && TryByteFallback(piece.Slice(i, units), utf8, out int byteCount))
            {
                for (int b = 0; b < byteCount; b++) { ids[n] = _byteIds[utf8[b]]; lengths[n] = b == 0 ? units : 0; n++; }
                lastWasUnknown = false;
            }
            else
            {
                if (_spec.UnknownId < 0)
                    throw new InvalidOperationException(
                        $"The BPE model has no entry for '{piece.Slice(i, units).ToString()}' and tokenizer.json sets no model.unk_token; " +
                        "set unk_token or enable byte_fallback.");
                if (_spec.FuseUnknown && lastWasUnknown) lengths[n - 1] += units;
                else { ids[n] = _spec.UnknownId; lengths[n] = units; n++; }
                lastWasUnknown = true;
            }
            i += units;
        }

        int merged = BpeMerger.Merge(_spec.Merges, ids[..n], lengths[..n]);
        var result = new int[merged * 2];
        ids[..merged].CopyTo(result);
        lengths[..merged].CopyTo(result.AsSpan(merged));
        ArrayPool<int>.Shared.Return(rented);
        return result;
    }

    // HF BPE: every char but the first carries continuing_subword_prefix, the last one end_of_word_suffix.
    private bool TryAffixed(ReadOnlySpan<char> piece, int i, int units, out int id)
    {
        string prefix = i > 0 ? _spec.ContinuingSubwordPrefix : "";
        string suffix = i + units == piece.Length ? _spec.EndOfWordSuffix : "";
        Span<char> key = stackalloc char[prefix.Length + units + suffix.Length];
        prefix.AsSpan().CopyTo(key);
        piece.Slice(i, units).CopyTo(key[prefix.Length..]);
        suffix.AsSpan().CopyTo(key[(prefix.Length + units)..]);
        return _vocabBySpan.TryGetValue(key, out id);
    }

    private bool TryByteFallback(ReadOnlySpan<char> chars, Span<byte> utf8, out int count)
    {
        count = Encoding.UTF8.GetBytes(chars, utf8);
        for (int b = 0; b < count; b++)
            if (_byteIds[utf8[b]] < 0) return false;
        return true;
    }

    private static int MapUnit(int[]? map, int unit) => map is null ? unit : map[unit];

    private static int Utf8Length(ReadOnlySpan<char> text, int index, out int units)
    {
        if (index >= text.Length) { units = 0; return 0; }
        char c = text[index];
        units = 1;
        if (c < 0x80) return 1;
        if (c < 0x800) return 2;
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])) { units = 2; return 4; }
        return 3;
    }
}
