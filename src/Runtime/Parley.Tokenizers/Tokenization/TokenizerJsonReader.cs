using System.Globalization;
using System.Text;
using System.Text.Json;
using Parley.Tokenization.Unicode;

namespace Parley.Tokenization;

/// <summary>
/// Reads HF <c>tokenizer.json</c> (+ <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>) into a
/// <see cref="ParleyTokenizer"/>. Supports the BPE model (byte-level and byte-fallback), the normalizers, pre-tokenizers,
/// post-processors and decoders that BPE tokenizers use; anything else is a <see cref="TokenizerFormatException"/>.
/// </summary>
internal static class TokenizerJsonReader
{
    public static ParleyTokenizer Read(JsonElement root, string file, TokenizerConfig config) => Read(root, file, config, null, out _);

    /// <summary>
    /// Reads the tokenizer; a BPE model takes its vocabulary and merges from <paramref name="prebuilt"/> when given (the
    /// binary cache), and hands back the tables it read in <paramref name="tables"/> (null for other models).
    /// </summary>
    public static ParleyTokenizer Read(JsonElement root, string file, TokenizerConfig config, BpeTables? prebuilt, out BpeTables? tables)
    {
        tables = null;
        JsonElement model = Required(root, "model", file, "");
        string type = OptionalString(model, "type") ?? "BPE";
        if (type is "WordPiece" or "WordLevel" or "Unigram") return ReadPieceModel(root, model, type, file, config);
        if (type != "BPE")
            throw new TokenizerFormatException(file, "model.type",
                $"model type '{type}' is not supported (supported: BPE, Unigram, WordPiece, WordLevel).");

        var (tokens, vocab) = prebuilt is null ? ReadVocabulary(model, file) : (prebuilt.Tokens, prebuilt.Vocabulary);
        List<AddedToken> added = ReadAddedTokens(root, file);
        // Added tokens may carry ids past the model vocabulary; they are not model tokens.

        PreTokenizerSpec pre = ReadPreTokenizer(Optional(root, "pre_tokenizer"), file, "pre_tokenizer");
        bool byteLevel = pre.ByteLevel;
        if (!byteLevel && root.TryGetProperty("decoder", out JsonElement dec) && dec.ValueKind == JsonValueKind.Object)
            byteLevel = OptionalString(dec, "type") == "ByteLevel";

        string? unk = OptionalString(model, "unk_token");
        int unkId = -1;
        if (unk is not null && !vocab.TryGetValue(unk, out unkId))
            throw new TokenizerFormatException(file, "model.unk_token", $"'{unk}' is not in model.vocab; fix the file or set unk_token to null.");
        string subwordPrefix = OptionalString(model, "continuing_subword_prefix") ?? "";
        string wordSuffix = OptionalString(model, "end_of_word_suffix") ?? "";
        if (byteLevel && (subwordPrefix.Length > 0 || wordSuffix.Length > 0))
            throw new TokenizerFormatException(file, subwordPrefix.Length > 0 ? "model.continuing_subword_prefix" : "model.end_of_word_suffix",
                "subword prefixes/suffixes with a byte-level BPE are not supported; Parley applies them to char-level BPE.");
        if (model.TryGetProperty("dropout", out JsonElement dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
            throw new TokenizerFormatException(file, "model.dropout", "BPE dropout is a training-time randomization; set it to null for deterministic encoding.");

        MergeTable merges;
        if (prebuilt is not null) merges = MergesFromQuads(prebuilt.Merges);
        else
        {
            var quads = new List<int>();
            merges = ReadMerges(model, vocab, file, OptionalString(model, "continuing_subword_prefix") ?? "", quads);
            tables = new BpeTables(tokens, vocab, quads.ToArray());
        }

        var spec = new BpeModelSpec(
            tokens,
            vocab,
            merges,
            byteLevel,
            OptionalBool(model, "byte_fallback"),
            unkId,
            OptionalBool(model, "fuse_unk"),
            OptionalBool(model, "ignore_merges"),
            ReadNormalizer(Optional(root, "normalizer"), file, "normalizer"),
            pre.Splitter,
            ReadDecoder(root.TryGetProperty("decoder", out JsonElement d) ? d : default, file),
            pre.Metaspace,
            pre.AddPrefixSpace,
            subwordPrefix,
            wordSuffix);

        PostProcessor post = ReadPostProcessor(root.TryGetProperty("post_processor", out JsonElement p) ? p : default, file, "post_processor", vocab, added);
        return new ParleyTokenizer(new BpeModel(spec), added, post, config.Roles, config.AdditionalSpecialTokens, config.PaddingSide, file);
    }

    private static ParleyTokenizer ReadPieceModel(JsonElement root, JsonElement model, string type, string file, TokenizerConfig config)
    {
        PieceVocabulary vocab;
        IPieceModel piece;
        if (type == "Unigram")
        {
            JsonElement list = Required(model, "vocab", file, "model.");
            if (list.ValueKind != JsonValueKind.Array)
                throw new TokenizerFormatException(file, "model.vocab", "expected an array of [piece, score] pairs.");
            var tokens = new string[list.GetArrayLength()];
            var scores = new double[tokens.Length];
            var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
            int i = 0;
            foreach (JsonElement entry in list.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String || !entry[1].TryGetDouble(out scores[i]))
                    throw new TokenizerFormatException(file, $"model.vocab[{i}]", "expected [\"piece\", score].");
                tokens[i] = entry[0].GetString()!;
                ids[tokens[i]] = i; // a repeated piece resolves to its last id, as HF's map does
                i++;
            }
            vocab = new PieceVocabulary(tokens, ids);
            int unkId = model.TryGetProperty("unk_id", out JsonElement u) && u.TryGetInt32(out int uid) ? uid : -1;
            if (unkId >= tokens.Length) throw new TokenizerFormatException(file, "model.unk_id", $"{unkId} is past the vocabulary ({tokens.Length} pieces).");
            piece = new UnigramModel(vocab, scores, unkId, OptionalBool(model, "byte_fallback"), file);
        }
        else
        {
            var (tokens, ids) = ReadVocabulary(model, file);
            vocab = new PieceVocabulary(tokens, ids);
            string? unk = OptionalString(model, "unk_token");
            int unkId = -1;
            if (unk is not null && !ids.TryGetValue(unk, out unkId))
                throw new TokenizerFormatException(file, "model.unk_token", $"'{unk}' is not in model.vocab; fix the file or set unk_token to null.");
            piece = type == "WordLevel"
                ? new WordLevelModel(vocab, unkId, file)
                : new WordPieceModel(vocab, unkId, OptionalString(model, "continuing_subword_prefix") ?? "##",
                    model.TryGetProperty("max_input_chars_per_word", out JsonElement max) && max.TryGetInt32(out int m) ? m : 100, file);
        }

        PreTokenizerSpec pre = ReadPreTokenizer(Optional(root, "pre_tokenizer"), file, "pre_tokenizer");
        if (pre.ByteLevel)
            throw new TokenizerFormatException(file, "pre_tokenizer", $"a ByteLevel pre-tokenizer with a {type} model is not supported; byte-level alphabets belong to BPE.");
        var pipeline = new PipelineModel(piece, ReadNormalizer(Optional(root, "normalizer"), file, "normalizer"), pre.Splitter, pre.Metaspace,
            ReadDecoder(root.TryGetProperty("decoder", out JsonElement d) ? d : default, file));
        List<AddedToken> added = ReadAddedTokens(root, file);
        PostProcessor post = ReadPostProcessor(root.TryGetProperty("post_processor", out JsonElement p) ? p : default, file, "post_processor", vocab.Ids, added);
        return new ParleyTokenizer(pipeline, added, post, config.Roles, config.AdditionalSpecialTokens, config.PaddingSide, file);
    }

    private static (string[] Tokens, Dictionary<string, int> Vocab) ReadVocabulary(JsonElement model, string file)
    {
        JsonElement vocabElement = Required(model, "vocab", file, "model.");
        if (vocabElement.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(file, "model.vocab", "expected an object mapping token → id.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int max = -1;
        foreach (JsonProperty entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new TokenizerFormatException(file, $"model.vocab[\"{entry.Name}\"]", "expected a non-negative integer id.");
            vocab[entry.Name] = id;
            max = Math.Max(max, id);
        }
        var tokens = new string[max + 1];
        foreach (var (token, id) in vocab)
        {
            if (tokens[id] is not null)
                throw new TokenizerFormatException(file, $"model.vocab[\"{token}\"]", $"id {id} is also used by '{tokens[id]}'; ids must be unique.");
            tokens[id] = token;
        }
        return (tokens, vocab);
    }

    private static MergeTable MergesFromQuads(int[] quads)
    {
        var table = MergeTable.NewBuilder(quads.Length / 4);
        for (int i = 0; i < quads.Length; i += 4) table.TryAdd(MergeTable.Key(quads[i], quads[i + 1]), new MergeTarget(quads[i + 2], quads[i + 3]));
        return new MergeTable(table);
    }

    private static MergeTable ReadMerges(JsonElement model, Dictionary<string, int> vocab, string file, string subwordPrefix, List<int> quads)
    {
        var table = MergeTable.NewBuilder();
        if (!model.TryGetProperty("merges", out JsonElement merges) || merges.ValueKind == JsonValueKind.Null)
            return new MergeTable(table);
        int rank = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            string field = $"model.merges[{rank}]";
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string s = merge.GetString()!;
                int space = s.IndexOf(' ', 1);
                if (space < 0) throw new TokenizerFormatException(file, field, $"'{s}' is not two tokens separated by a space.");
                left = s[..space];
                right = s[(space + 1)..];
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                left = merge[0].GetString() ?? "";
                right = merge[1].GetString() ?? "";
            }
            else throw new TokenizerFormatException(file, field, "expected \"a b\" or [\"a\", \"b\"].");

            if (!vocab.TryGetValue(left, out int l) || !vocab.TryGetValue(right, out int r) || !vocab.TryGetValue(MergedToken(left, right, subwordPrefix), out int m))
                throw new TokenizerFormatException(file, field, $"merge '{left}' + '{right}' uses or makes a token that is not in model.vocab.");
            if (table.TryAdd(MergeTable.Key(l, r), new MergeTarget(rank, m))) quads.AddRange([l, r, rank, m]);
            rank++;
        }
        return new MergeTable(table);
    }

    // HF: merging "a" with "##b" makes "ab" when a continuing-subword prefix is set.
    private static string MergedToken(string left, string right, string subwordPrefix) =>
        subwordPrefix.Length > 0 && right.StartsWith(subwordPrefix, StringComparison.Ordinal) ? left + right[subwordPrefix.Length..] : left + right;

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string file)
    {
        var result = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out JsonElement list) || list.ValueKind != JsonValueKind.Array) return result;
        int i = 0;
        foreach (JsonElement t in list.EnumerateArray())
        {
            string field = $"added_tokens[{i++}]";
            if (!t.TryGetProperty("id", out JsonElement idEl) || !idEl.TryGetInt32(out int id))
                throw new TokenizerFormatException(file, field + ".id", "expected an integer id.");
            string content = OptionalString(t, "content") ?? throw new TokenizerFormatException(file, field + ".content", "expected the token's text.");
            result.Add(new AddedToken(content, id,
                Special: OptionalBool(t, "special"),
                LStrip: OptionalBool(t, "lstrip"),
                RStrip: OptionalBool(t, "rstrip"),
                SingleWord: OptionalBool(t, "single_word"),
                Normalized: OptionalBool(t, "normalized")));
        }
        return result;
    }

    private static TextNormalizer? ReadNormalizer(JsonElement n, string file, string field)
    {
        if (n.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        string type = OptionalString(n, "type") ?? "";
        switch (type)
        {
            case "Sequence":
                var steps = new List<TextNormalizer>();
                int i = 0;
                foreach (JsonElement s in Required(n, "normalizers", file, field + ".").EnumerateArray())
                    if (ReadNormalizer(s, file, $"{field}.normalizers[{i++}]") is { } step) steps.Add(step);
                return new SequenceNormalizer(steps);
            case "Prepend": return new PrependNormalizer(OptionalString(n, "prepend") ?? "");
            case "Replace":
            {
                JsonElement pattern = Required(n, "pattern", file, field + ".");
                string content = OptionalString(n, "content") ?? "";
                if (pattern.TryGetProperty("Regex", out JsonElement rx)) return new RegexReplaceNormalizer(rx.GetString() ?? "", content);
                return new ReplaceNormalizer(ReadStringPattern(n, file, field), content);
            }
            case "NFC": return new UnicodeNormalizer(NormalizationKind.Nfc);
            case "NFD": return new UnicodeNormalizer(NormalizationKind.Nfd);
            case "NFKC": return new UnicodeNormalizer(NormalizationKind.Nfkc);
            case "NFKD": return new UnicodeNormalizer(NormalizationKind.Nfkd);
            case "Lowercase": return new LowercaseNormalizer();
            case "Strip": return new StripNormalizer(OptionalBool(n, "strip_left"), OptionalBool(n, "strip_right"));
            case "StripAccents": return new StripAccentsNormalizer();
            case "BertNormalizer":
            {
                bool lowercase = OptionalBoolOr(n, "lowercase", true);
                return new BertNormalizer(OptionalBoolOr(n, "clean_text", true), OptionalBoolOr(n, "handle_chinese_chars", true),
                    OptionalBoolOr(n, "strip_accents", lowercase), lowercase);
            }
            case "Precompiled":
                return PrecompiledNormalizer.FromBase64(OptionalString(n, "precompiled_charsmap"), file, field + ".precompiled_charsmap");
            default:
                throw new TokenizerFormatException(file, field + ".type",
                    $"normalizer '{type}' is not supported (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, BertNormalizer, Precompiled).");
        }
    }

    /// <summary>What a <c>pre_tokenizer</c> section reads into.</summary>
    internal sealed record PreTokenizerSpec(List<SplitRule> Rules, bool ByteLevel, bool AddPrefixSpace, MetaspacePreTokenizer? Metaspace)
    {
        public RegexPreTokenizer? Splitter => Rules.Count == 0 ? null : new RegexPreTokenizer(Rules);
    }

    // Unicode punctuation plus ASCII symbols, as HF's is_punc (char::is_ascii_punctuation || is_punctuation).
    private const string PunctuationClass = @"[\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]";

    internal static PreTokenizerSpec ReadPreTokenizer(JsonElement p, string file, string field)
    {
        var rules = new List<SplitRule>();
        bool byteLevel = false, addPrefixSpace = false;
        MetaspacePreTokenizer? metaspace = null;
        Collect(p, field);
        if (metaspace is not null && (rules.Count > 0 || byteLevel))
            throw new TokenizerFormatException(file, field, "Metaspace combined with Split or ByteLevel pre-tokenizers is not supported.");
        return new PreTokenizerSpec(rules, byteLevel, addPrefixSpace, metaspace);

        void Collect(JsonElement e, string f)
        {
            if (e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return;
            string type = OptionalString(e, "type") ?? "";
            switch (type)
            {
                case "Sequence":
                    int i = 0;
                    foreach (JsonElement s in Required(e, "pretokenizers", file, f + ".").EnumerateArray()) Collect(s, $"{f}.pretokenizers[{i++}]");
                    break;
                case "ByteLevel":
                    byteLevel = true;
                    if (OptionalBool(e, "add_prefix_space"))
                    {
                        // HF prefixes each piece made so far; Parley does it for the whole text, which is the same only
                        // when nothing split the text before.
                        if (rules.Count > 0)
                            throw new TokenizerFormatException(file, f + ".add_prefix_space", "ByteLevel with add_prefix_space=true after a Split is not supported; put ByteLevel first or set add_prefix_space to false.");
                        addPrefixSpace = true;
                    }
                    if (!e.TryGetProperty("use_regex", out JsonElement useRegex) || useRegex.ValueKind != JsonValueKind.False)
                        rules.Add(SplitRule.Create(RegexPreTokenizer.Gpt2Pattern));
                    break;
                case "Split":
                    rules.Add(SplitRule.Create(ReadPattern(e, file, f), ReadBehavior(e, file, f, "behavior"), OptionalBool(e, "invert")));
                    break;
                case "Whitespace":
                    rules.Add(SplitRule.Create(@"\w+|[^\w\s]+", SplitBehavior.Removed, invert: true));
                    break;
                case "WhitespaceSplit":
                    rules.Add(SplitRule.Create(@"\s", SplitBehavior.Removed));
                    break;
                case "Punctuation":
                    rules.Add(SplitRule.Create(PunctuationClass, e.TryGetProperty("behavior", out _) ? ReadBehavior(e, file, f, "behavior") : SplitBehavior.Isolated));
                    break;
                case "Digits":
                    rules.Add(SplitRule.Create(@"\p{N}", OptionalBool(e, "individual_digits") ? SplitBehavior.Isolated : SplitBehavior.Contiguous));
                    break;
                case "CharDelimiterSplit":
                    string delimiter = OptionalString(e, "delimiter") ?? "";
                    if (delimiter.Length == 0) throw new TokenizerFormatException(file, f + ".delimiter", "expected one character.");
                    rules.Add(SplitRule.Create(System.Text.RegularExpressions.Regex.Escape(delimiter), SplitBehavior.Removed));
                    break;
                case "BertPreTokenizer":
                    rules.Add(SplitRule.Create(@"\s", SplitBehavior.Removed));
                    rules.Add(SplitRule.Create(PunctuationClass, SplitBehavior.Isolated));
                    break;
                case "Metaspace":
                    string replacement = OptionalString(e, "replacement") ?? "\u2581";
                    if (replacement.Length != 1)
                        throw new TokenizerFormatException(file, f + ".replacement", $"'{replacement}' must be one character.");
                    string scheme = OptionalString(e, "prepend_scheme")
                        ?? (e.TryGetProperty("add_prefix_space", out JsonElement aps) && aps.ValueKind == JsonValueKind.False ? "never" : "always");
                    PrependScheme prepend = scheme switch
                    {
                        "always" => PrependScheme.Always,
                        "first" => PrependScheme.First,
                        "never" => PrependScheme.Never,
                        _ => throw new TokenizerFormatException(file, f + ".prepend_scheme", $"'{scheme}' is not always, first or never."),
                    };
                    bool split = !e.TryGetProperty("split", out JsonElement sp) || sp.ValueKind != JsonValueKind.False;
                    metaspace = new MetaspacePreTokenizer(replacement[0], prepend, split);
                    break;
                case "UnicodeScripts":
                    throw new TokenizerFormatException(file, f + ".type",
                        "pre-tokenizer 'UnicodeScripts' is not supported: Parley carries no Unicode script data. Replace it with a Split on the scripts you need.");
                default:
                    throw new TokenizerFormatException(file, f + ".type",
                        $"pre-tokenizer '{type}' is not supported (supported: Sequence, ByteLevel, Split, Whitespace, WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit, BertPreTokenizer, Metaspace).");
            }
        }
    }

    private static string ReadPattern(JsonElement e, string file, string f)
    {
        JsonElement pattern = Required(e, "pattern", file, f + ".");
        if (pattern.TryGetProperty("Regex", out JsonElement rx)) return rx.GetString() ?? "";
        if (pattern.TryGetProperty("String", out JsonElement str)) return System.Text.RegularExpressions.Regex.Escape(str.GetString() ?? "");
        throw new TokenizerFormatException(file, f + ".pattern", "expected {\"Regex\": …} or {\"String\": …}.");
    }

    private static SplitBehavior ReadBehavior(JsonElement e, string file, string f, string name)
    {
        string behavior = OptionalString(e, name) ?? "";
        return behavior switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw new TokenizerFormatException(file, $"{f}.{name}", $"'{behavior}' is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous."),
        };
    }

    private static TokenDecoder ReadDecoder(JsonElement d, string file)
    {
        var steps = new List<DecoderStep>();
        Collect(d, "decoder");
        return new TokenDecoder(steps, joinWithSpaces: d.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined);

        void Collect(JsonElement e, string f)
        {
            if (e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return;
            string type = OptionalString(e, "type") ?? "";
            switch (type)
            {
                case "Sequence":
                    int i = 0;
                    foreach (JsonElement s in Required(e, "decoders", file, f + ".").EnumerateArray()) Collect(s, $"{f}.decoders[{i++}]");
                    break;
                case "ByteLevel": steps.Add(new ByteLevelDecoderStep()); break;
                case "Replace":
                    if (Required(e, "pattern", file, f + ".").TryGetProperty("Regex", out JsonElement rx))
                        steps.Add(new RegexReplaceDecoderStep(rx.GetString() ?? "", OptionalString(e, "content") ?? ""));
                    else steps.Add(new ReplaceDecoderStep(ReadStringPattern(e, file, f), OptionalString(e, "content") ?? ""));
                    break;
                case "ByteFallback": steps.Add(new ByteFallbackDecoderStep()); break;
                case "Fuse": steps.Add(new FuseDecoderStep()); break;
                case "Strip":
                    string content = OptionalString(e, "content") ?? " ";
                    steps.Add(new StripDecoderStep(content.Length > 0 ? content[0] : ' ', OptionalInt(e, "start"), OptionalInt(e, "stop")));
                    break;
                case "Metaspace":
                    string replacement = OptionalString(e, "replacement") ?? "\u2581";
                    steps.Add(new MetaspaceDecoderStep(replacement[0], (OptionalString(e, "prepend_scheme") ?? "always") != "never"));
                    break;
                case "WordPiece":
                    steps.Add(new WordPieceDecoderStep(OptionalString(e, "prefix") ?? "##", OptionalBoolOr(e, "cleanup", true)));
                    break;
                case "BPEDecoder":
                    steps.Add(new BpeSuffixDecoderStep(OptionalString(e, "suffix") ?? "</w>"));
                    break;
                case "CTC":
                    steps.Add(new CtcDecoderStep(OptionalString(e, "pad_token") ?? "<pad>", OptionalString(e, "word_delimiter_token") ?? "|", OptionalBoolOr(e, "cleanup", true)));
                    break;
                default:
                    throw new TokenizerFormatException(file, f + ".type",
                        $"decoder '{type}' is not supported (supported: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, WordPiece, BPEDecoder, CTC).");
            }
        }
    }

    private static PostProcessor ReadPostProcessor(JsonElement p, string file, string field, Dictionary<string, int> vocab, List<AddedToken> added)
    {
        if (p.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return PostProcessor.None;
        string type = OptionalString(p, "type") ?? "";
        switch (type)
        {
            case "ByteLevel": return PostProcessor.None;
            case "Sequence":
                var prefix = new List<int>();
                var suffix = new List<int>();
                int i = 0;
                foreach (JsonElement s in Required(p, "processors", file, field + ".").EnumerateArray())
                {
                    PostProcessor part = ReadPostProcessor(s, file, $"{field}.processors[{i++}]", vocab, added);
                    prefix.AddRange(part.Prefix);
                    suffix.AddRange(part.Suffix);
                }
                return new PostProcessor(prefix.ToArray(), suffix.ToArray());
            case "TemplateProcessing":
            {
                JsonElement specials = p.TryGetProperty("special_tokens", out JsonElement st) ? st : default;
                var before = new List<int>();
                var after = new List<int>();
                bool seenSequence = false;
                int k = 0;
                foreach (JsonElement item in Required(p, "single", file, field + ".").EnumerateArray())
                {
                    string itemField = $"{field}.single[{k++}]";
                    if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                    if (!item.TryGetProperty("SpecialToken", out JsonElement special))
                        throw new TokenizerFormatException(file, itemField, "expected {\"SpecialToken\": …} or {\"Sequence\": …}.");
                    string name = OptionalString(special, "id") ?? "";
                    int[] ids = SpecialIds(specials, name, file, itemField, vocab, added);
                    (seenSequence ? after : before).AddRange(ids);
                }
                return new PostProcessor(before.ToArray(), after.ToArray());
            }
            case "RobertaProcessing":
            case "BertProcessing":
            {
                int cls = ProcessorToken(p, "cls", file, field, vocab, added);
                int sep = ProcessorToken(p, "sep", file, field, vocab, added);
                return new PostProcessor([cls], [sep]);
            }
            default:
                throw new TokenizerFormatException(file, field + ".type",
                    $"post-processor '{type}' is not supported (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence).");
        }
    }

    private static int[] SpecialIds(JsonElement specials, string name, string file, string field, Dictionary<string, int> vocab, List<AddedToken> added)
    {
        if (specials.ValueKind == JsonValueKind.Object && specials.TryGetProperty(name, out JsonElement entry) &&
            entry.TryGetProperty("ids", out JsonElement ids))
            return ids.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        int? id = LookUp(name, vocab, added);
        return id is { } v ? [v] : throw new TokenizerFormatException(file, field, $"special token '{name}' is neither in special_tokens nor in the vocabulary.");
    }

    private static int ProcessorToken(JsonElement p, string name, string file, string field, Dictionary<string, int> vocab, List<AddedToken> added)
    {
        JsonElement pair = Required(p, name, file, field + ".");
        if (pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && pair[1].TryGetInt32(out int id)) return id;
        throw new TokenizerFormatException(file, $"{field}.{name}", "expected [\"token\", id].");
    }

    private static int? LookUp(string token, Dictionary<string, int> vocab, List<AddedToken> added)
    {
        foreach (AddedToken t in added) if (t.Content == token) return t.Id;
        return vocab.TryGetValue(token, out int id) ? id : null;
    }

    private static string ReadStringPattern(JsonElement e, string file, string field)
    {
        JsonElement pattern = Required(e, "pattern", file, field + ".");
        if (pattern.TryGetProperty("String", out JsonElement s)) return s.GetString() ?? "";
        throw new TokenizerFormatException(file, field + ".pattern", "only {\"String\": …} patterns are supported in Replace.");
    }

    internal static JsonElement Required(JsonElement e, string name, string file, string prefix)
    {
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v)) return v;
        throw new TokenizerFormatException(file, prefix + name, "required field is missing.");
    }

    private static JsonElement Optional(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v : default;

    internal static string? OptionalString(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static bool OptionalBool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    /// <summary>A boolean that defaults to <paramref name="fallback"/> when absent or null.</summary>
    internal static bool OptionalBoolOr(JsonElement e, string name, bool fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.ValueKind == JsonValueKind.True
            : fallback;

    private static int OptionalInt(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.TryGetInt32(out int i) ? i : 0;
}
