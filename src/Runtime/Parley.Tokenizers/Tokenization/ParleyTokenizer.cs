namespace Parley.Tokenization;

/// <summary>
/// A tokenizer that reproduces HF tokenizers' ids exactly: loaded from a HF <c>tokenizer.json</c>, a SentencePiece
/// <c>.model</c>, or a tiktoken encoding. Encodes to ids with character offsets, decodes, and grows its vocabulary
/// like HF's <c>add_tokens</c>/<c>add_special_tokens</c>.
/// </summary>
/// <remarks>
/// Encoding is thread-safe. Adding tokens or changing roles is not: do it before sharing the tokenizer.
/// <para>Special-token safety: <see cref="Encode(string, bool, bool)"/> keeps HF's default and turns the text of
/// special tokens into their ids. Text that came from users (message content) must go through
/// <see cref="EncodeFormatted"/> or <c>parseSpecialTokens: false</c>, so typing <c>&lt;|assistant|&gt;</c> cannot
/// inject a control token. Control tokens are added tokens marked <c>special</c> and the tokens playing a role
/// (BOS/EOS/UNK/PAD, <c>additional_special_tokens</c>); other added tokens (Qwen's <c>&lt;think&gt;</c>) still match in
/// content, as in HF with <c>split_special_tokens</c>. Phi-3 lists <c>&lt;/s&gt;</c> as not special: call
/// <c>AddSpecialTokens("&lt;/s&gt;")</c> to protect it too.</para>
/// </remarks>
/// <example><code>
/// var tok = ParleyTokenizer.FromTokenizerJson("tokenizers/qwen3");          // folder or tokenizer.json
/// int[] ids = tok.Encode("&lt;|im_start|&gt;user\nhey&lt;|im_end|&gt;").Ids;       // control tokens become ids
/// int[] safe = tok.Encode(userText, addSpecialTokens: false, parseSpecialTokens: false).Ids;
/// string back = tok.Decode(ids);
/// </code></example>
public sealed partial class ParleyTokenizer
{
    private readonly ITokenModel _model;
    private readonly PostProcessor _postProcessor;
    private readonly List<AddedToken> _added;
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _addedById = new();
    private readonly Dictionary<SpecialTokenRole, string> _roles = new();
    private readonly List<string> _additionalSpecialTokens = new();
    private AddedTokenMatcher _allMatcher = AddedTokenMatcher.Empty;
    private AddedTokenMatcher _contentMatcher = AddedTokenMatcher.Empty;

    internal ParleyTokenizer(
        ITokenModel model,
        IEnumerable<AddedToken> addedTokens,
        PostProcessor postProcessor,
        IReadOnlyDictionary<SpecialTokenRole, string> roles,
        IEnumerable<string> additionalSpecialTokens,
        PaddingSide paddingSide,
        string source)
    {
        _model = model;
        _postProcessor = postProcessor;
        _added = new List<AddedToken>();
        foreach (AddedToken t in addedTokens) Register(t);
        foreach (var (role, content) in roles) _roles[role] = content;
        _additionalSpecialTokens.AddRange(additionalSpecialTokens);
        PaddingSide = paddingSide;
        Source = source;
        RebuildMatchers();
    }

    /// <summary>Where the tokenizer was loaded from (a path or an encoding name).</summary>
    public string Source { get; }

    /// <summary>
    /// Number of distinct ids: the model's vocabulary plus added tokens outside it — HF's <c>len(tokenizer)</c>.
    /// It may be smaller or larger than the model's embedding size (OPT-350m: 50265 vs 50272).
    /// </summary>
    public int Count
    {
        get
        {
            int count = _model.VocabularySize;
            foreach (AddedToken t in _added)
                if (t.Id >= _model.VocabularySize) count++;
            return count;
        }
    }

    /// <summary>Size of the model's own vocabulary, without added tokens.</summary>
    public int ModelVocabularySize => _model.VocabularySize;

    /// <summary>The added tokens, in the order they were added.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _added;

    /// <summary>Tokens named as <c>additional_special_tokens</c>.</summary>
    public IReadOnlyList<string> AdditionalSpecialTokens => _additionalSpecialTokens;

    /// <summary>Which side a collator pads on (from <c>tokenizer_config.json</c>'s <c>padding_side</c>, else right).</summary>
    public PaddingSide PaddingSide { get; set; }

    /// <summary>The BOS token's text, or null.</summary>
    public string? BosToken => GetRoleToken(SpecialTokenRole.Bos);

    /// <summary>The EOS token's text, or null.</summary>
    public string? EosToken => GetRoleToken(SpecialTokenRole.Eos);

    /// <summary>The UNK token's text, or null.</summary>
    public string? UnkToken => GetRoleToken(SpecialTokenRole.Unk);

    /// <summary>The PAD token's text, or null.</summary>
    public string? PadToken => GetRoleToken(SpecialTokenRole.Pad);

    /// <summary>The token playing <paramref name="role"/>, or null when none is set.</summary>
    public string? GetRoleToken(SpecialTokenRole role) => _roles.TryGetValue(role, out string? t) ? t : null;

    /// <summary>The id of the token playing <paramref name="role"/>, or null when none is set or it is not in the vocabulary.</summary>
    public int? GetRoleTokenId(SpecialTokenRole role) => GetRoleToken(role) is { } t ? TokenToId(t) : null;

    /// <summary>
    /// Makes <paramref name="content"/> play <paramref name="role"/>, adding it as a special token when it is new
    /// (HF's <c>add_special_tokens({"pad_token": ...})</c>). Pass null to clear the role.
    /// Returns the number of tokens added (0 or 1).
    /// </summary>
    /// <example><code>tok.SetRoleToken(SpecialTokenRole.Pad, "&lt;pad&gt;");</code></example>
    public int SetRoleToken(SpecialTokenRole role, string? content)
    {
        if (content is null) { _roles.Remove(role); RebuildMatchers(); return 0; }
        int added = AddSpecialTokens(content);
        _roles[role] = content;
        RebuildMatchers();
        return added;
    }

    /// <summary>
    /// Adds special (control) tokens. New ones get ids after the current vocabulary, in order, as HF assigns them;
    /// a token already in the vocabulary keeps its id and becomes special. Returns how many ids were created.
    /// </summary>
    /// <example><code>int added = tok.AddSpecialTokens("&lt;|im_start|&gt;", "&lt;|im_end|&gt;");</code></example>
    public int AddSpecialTokens(params string[] tokens) => Add(tokens, special: true);

    /// <summary>
    /// Adds plain (non-special) tokens, matched in text before the model runs, so each encodes as one token. New ones
    /// get ids after the current vocabulary. Returns how many ids were created.
    /// </summary>
    /// <example><code>tok.AddTokens("##[YODA]##&gt;"); // OPT: id 50266 after &lt;|im_start|&gt; took 50265</code></example>
    public int AddTokens(params string[] tokens) => Add(tokens, special: false);

    /// <summary>The id of <paramref name="token"/> (added or in the model's vocabulary), or null.</summary>
    public int? TokenToId(string token)
    {
        if (_addedByContent.TryGetValue(token, out AddedToken? a)) return a.Id;
        return _model.TryGetId(token, out int id) ? id : null;
    }

    /// <summary>The token string of <paramref name="id"/> (added or in the model's vocabulary), or null.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out AddedToken? a) ? a.Content : _model.GetToken(id);

    /// <summary>Whether <paramref name="id"/> is a control token: a special added token or one playing a role.</summary>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out AddedToken? a) ? IsControl(a) : _model.IsControl(id);

    /// <summary>
    /// Encodes <paramref name="text"/> with HF's defaults: added tokens are matched (special ones too), and the
    /// post-processor's tokens (e.g. Phi-3's <c>&lt;s&gt;</c>) are added when <paramref name="addSpecialTokens"/> is true.
    /// With <paramref name="parseSpecialTokens"/> false, control tokens in the text are encoded as plain text.
    /// </summary>
    /// <example><code>
    /// var t = phi3.Encode("user text with &lt;|assistant|&gt; marker", addSpecialTokens: false, parseSpecialTokens: false);
    /// // no id 32001 in t.Ids
    /// </code></example>
    public TokenizedText Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sink = new TokenSink(withOffsets: true, capacity: text.Length / 3 + 8);
        EncodeInto(text, sink, addSpecialTokens, parseSpecialTokens ? _allMatcher : _contentMatcher);
        return Finish(sink, text.Length, addSpecialTokens);
    }

    /// <summary>Encodes to ids only (no offsets: the fast path).</summary>
    /// <example><code>int[] ids = tok.EncodeToIds("Hello", addSpecialTokens: false);</code></example>
    public int[] EncodeToIds(ReadOnlySpan<char> text, bool addSpecialTokens = true, bool parseSpecialTokens = true)
    {
        var sink = new TokenSink(withOffsets: false, capacity: text.Length / 3 + 8);
        EncodeInto(text, sink, addSpecialTokens, parseSpecialTokens ? _allMatcher : _contentMatcher);
        return sink.Ids.ToArray();
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> to <paramref name="destination"/> and returns how many were added;
    /// reuse one list across calls to encode without allocating.
    /// </summary>
    /// <example><code>
    /// var ids = new List&lt;int&gt;(4096);
    /// foreach (string row in rows) { ids.Clear(); tok.EncodeToIds(row, ids); Consume(ids); }
    /// </code></example>
    public int EncodeToIds(ReadOnlySpan<char> text, List<int> destination, bool addSpecialTokens = true, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int before = destination.Count;
        EncodeInto(text, new TokenSink(destination), addSpecialTokens, parseSpecialTokens ? _allMatcher : _contentMatcher);
        return destination.Count - before;
    }

    /// <summary>
    /// Encodes text a template produced: control tokens are matched only outside <paramref name="literalRanges"/>
    /// (the characters that came from message content), so only the template's own markers become special ids.
    /// The text is still tokenized as one string, so ids equal HF's on the same text when the content holds no
    /// control tokens (one more difference: a marker's <c>rstrip</c>/<c>lstrip</c> never swallows whitespace inside a
    /// literal range, so content keeps its leading and trailing spaces). Ranges must be sorted and must not overlap.
    /// </summary>
    /// <example><code>
    /// string text = "&lt;|user|&gt;\n" + content + "&lt;|end|&gt;\n";
    /// var t = phi3.EncodeFormatted(text, [new TextRange(9, content.Length)]);
    /// </code></example>
    public TokenizedText EncodeFormatted(string text, ReadOnlySpan<TextRange> literalRanges, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sink = new TokenSink(withOffsets: true, capacity: text.Length / 3 + 8);
        if (addSpecialTokens) AddPrefix(sink);

        var matches = new List<(int Start, int End, AddedToken Token)>();
        int pos = 0;
        foreach (TextRange literal in literalRanges)
        {
            if (literal.Start < pos || literal.End > text.Length)
                throw new ArgumentException(
                    $"Literal range {literal} is out of order, overlaps the previous one, or ends past the text ({text.Length} chars); pass sorted, disjoint ranges inside the text.",
                    nameof(literalRanges));
            FindAll(text.AsSpan(0, literal.Start), pos, _allMatcher, matches);
            pos = Math.Max(literal.Start, matches.Count > 0 ? matches[^1].End : 0);
            FindAll(text.AsSpan(0, literal.End), pos, _contentMatcher, matches);
            pos = Math.Max(literal.End, matches.Count > 0 ? matches[^1].End : 0);
        }
        FindAll(text, pos, _allMatcher, matches);

        int cursor = 0;
        foreach (var (start, end, token) in matches)
        {
            _model.Encode(text.AsSpan(cursor, start - cursor), cursor, sink);
            sink.Add(token.Id, start);
            cursor = end;
        }
        _model.Encode(text.AsSpan(cursor), cursor, sink);
        if (addSpecialTokens) AddSuffix(sink, text.Length);
        return Finish(sink, text.Length, addSpecialTokens);
    }

    /// <summary>
    /// Turns ids back into text. Added tokens come out as their text (special ones dropped when
    /// <paramref name="skipSpecialTokens"/> is true); the rest go through the tokenizer's decoder.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    /// <example><code>string text = tok.Decode(ids, skipSpecialTokens: true);</code></example>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<(int, string?)>(ids.Length);
        foreach (int id in ids)
        {
            if (_addedById.TryGetValue(id, out AddedToken? a))
            {
                if (!(skipSpecialTokens && IsControl(a))) tokens.Add((id, a.Content));
                continue;
            }
            if (_model.GetToken(id) is null)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is not in the vocabulary of {Source} (size {Count}).");
            if (skipSpecialTokens && _model.IsControl(id)) continue;
            tokens.Add((id, null));
        }
        return _model.Decode(tokens);
    }

    private void EncodeInto(ReadOnlySpan<char> text, TokenSink sink, bool addSpecialTokens, AddedTokenMatcher matcher)
    {
        if (addSpecialTokens) AddPrefix(sink);
        int cursor = 0;
        if (!matcher.IsEmpty)
        {
            while (matcher.TryFindNext(text, cursor, out int start, out int end, out AddedToken? token))
            {
                _model.Encode(text[cursor..start], cursor, sink);
                sink.Add(token!.Id, start);
                cursor = end;
            }
        }
        _model.Encode(text[cursor..], cursor, sink);
        if (addSpecialTokens) AddSuffix(sink, text.Length);
    }

    private static void FindAll(ReadOnlySpan<char> text, int from, AddedTokenMatcher matcher, List<(int, int, AddedToken)> matches)
    {
        if (matcher.IsEmpty) return;
        while (from < text.Length && matcher.TryFindNext(text, from, out int start, out int end, out AddedToken? token))
        {
            matches.Add((start, end, token!));
            from = end;
        }
    }

    private void AddPrefix(TokenSink sink)
    {
        foreach (int id in _postProcessor.Prefix) sink.Add(id, 0);
    }

    private void AddSuffix(TokenSink sink, int length)
    {
        foreach (int id in _postProcessor.Suffix) sink.Add(id, length);
    }

    // Model and added tokens partition the text: each ends where the next starts, the first starts at 0 (absorbing
    // anything a normalizer dropped) and the last ends at the text's end. Post-processor tokens get empty ranges.
    private TokenizedText Finish(TokenSink sink, int length, bool withPostProcessor)
    {
        List<int> starts = sink.Starts!;
        int count = starts.Count;
        int first = withPostProcessor ? _postProcessor.Prefix.Length : 0;
        int last = count - (withPostProcessor ? _postProcessor.Suffix.Length : 0); // exclusive
        var offsets = new TextRange[count];
        for (int i = 0; i < first; i++) offsets[i] = new TextRange(0, 0);
        for (int i = last; i < count; i++) offsets[i] = new TextRange(length, 0);
        for (int i = first; i < last; i++)
        {
            int start = i == first ? 0 : starts[i];
            int end = i + 1 < last ? Math.Max(start, starts[i + 1]) : length;
            offsets[i] = TextRange.FromBounds(start, end);
        }
        return new TokenizedText(sink.Ids.ToArray(), offsets);
    }

    private int Add(string[] tokens, bool special)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int created = 0;
        foreach (string content in tokens)
        {
            if (string.IsNullOrEmpty(content))
                throw new ArgumentException("An added token must not be null or empty.", nameof(tokens));
            if (_addedByContent.TryGetValue(content, out AddedToken? existing))
            {
                if (special && !existing.Special) Replace(existing, existing with { Special = true });
                continue;
            }
            int id;
            if (_model.TryGetId(content, out int known)) id = known;
            else
            {
                id = NextId();
                created++;
            }
            Register(new AddedToken(content, id, Special: special, Normalized: !special));
        }
        RebuildMatchers();
        return created;
    }

    private int NextId()
    {
        int max = -1;
        foreach (AddedToken t in _added) max = Math.Max(max, t.Id);
        return max >= _model.VocabularySize ? max + 1 : _model.VocabularySize;
    }

    private void Register(AddedToken token)
    {
        _added.Add(token);
        _addedByContent[token.Content] = token;
        _addedById[token.Id] = token;
    }

    private void Replace(AddedToken old, AddedToken replacement)
    {
        _added[_added.IndexOf(old)] = replacement;
        _addedByContent[replacement.Content] = replacement;
        _addedById[replacement.Id] = replacement;
    }

    private bool IsControl(AddedToken token) =>
        token.Special || _roles.ContainsValue(token.Content) || _additionalSpecialTokens.Contains(token.Content);

    private void RebuildMatchers()
    {
        _allMatcher = new AddedTokenMatcher(_added);
        _contentMatcher = new AddedTokenMatcher(_added.Where(t => !IsControl(t)));
    }

    /// <inheritdoc/>
    public override string ToString() => $"ParleyTokenizer({Source}, {Count} tokens)";
}
