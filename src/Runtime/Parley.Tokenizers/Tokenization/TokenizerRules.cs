namespace Parley.Tokenization;

/// <summary>What <see cref="TokenizerRules.Apply"/> should do.</summary>
/// <example><code>
/// var options = new TokenizerSetupOptions { EmbeddingSize = 50272, SpecialTokens = ["&lt;|im_start|&gt;"], Tokens = ["##[YODA]##&gt;"] };
/// </code></example>
public sealed record TokenizerSetupOptions
{
    /// <summary>Rows in the model's input embedding (<c>config.vocab_size</c>; OPT-350m: 50272).</summary>
    public required int EmbeddingSize { get; init; }

    /// <summary>The BOS token to use when BOS equals EOS (the seed's <c>&lt;|im_start|&gt;</c>).</summary>
    public string AlternativeBosToken { get; init; } = "<|im_start|>";

    /// <summary>The UNK token to use when UNK equals EOS; when null, UNK is cleared instead.</summary>
    public string? AlternativeUnkToken { get; init; }

    /// <summary>The PAD token to add when PAD is missing or equals EOS and no usable UNK exists.</summary>
    public string NewPadToken { get; init; } = "<pad>";

    /// <summary>Special tokens the template needs (its markers), added as special tokens.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>Plain tokens to add (e.g. the seed's <c>##[YODA]##&gt;</c> separator).</summary>
    public IReadOnlyList<string> Tokens { get; init; } = [];

    /// <summary>Whether the tokenizer will batch prompts for generation (pads left); otherwise the tokenizer's side is kept.</summary>
    public bool ForGeneration { get; init; }
}

/// <summary>What <see cref="TokenizerRules.Apply"/> did and what the model needs.</summary>
/// <param name="Decisions">Each check and change, in order, in words.</param>
/// <param name="TokenCount">The tokenizer's <see cref="ParleyTokenizer.Count"/> afterwards.</param>
/// <param name="EmbeddingSize">The model's embedding rows before any resize.</param>
/// <param name="ResizeTo">The embedding rows needed, or null when the new tokens fit.</param>
/// <param name="PadToMultipleOf">The <c>pad_to_multiple_of</c> for the resize: the largest power of two dividing <paramref name="EmbeddingSize"/>.</param>
/// <param name="PaddingSide">The padding side now set on the tokenizer.</param>
/// <example><code>
/// TokenizerSetupResult r = TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272 });
/// foreach (string d in r.Decisions) Console.WriteLine(d);
/// if (r.ResizeTo is int rows) model.ResizeTokenEmbeddings(rows);
/// </code></example>
public sealed record TokenizerSetupResult(
    IReadOnlyList<string> Decisions,
    int TokenCount,
    int EmbeddingSize,
    int? ResizeTo,
    int PadToMultipleOf,
    PaddingSide PaddingSide);

/// <summary>
/// The seed's tokenizer rules (<c>modify_tokenizer</c> + <c>modify_model</c>) as one checked operation: EOS only ends
/// text, so BOS, UNK and PAD must differ from it; PAD falls back to UNK, else a new PAD token; the template's tokens are
/// added; and when the vocabulary outgrows the embedding, the resize is computed with <c>pad_to_multiple_of</c>.
/// </summary>
/// <example><code>
/// var opt = ParleyTokenizer.FromTokenizerJson("opt-350m");
/// var result = TokenizerRules.Apply(opt, new TokenizerSetupOptions { EmbeddingSize = 50272, Tokens = ["##[YODA]##&gt;"] });
/// // BOS '&lt;/s&gt;' equals EOS → BOS is '&lt;|im_start|&gt;' (id 50265); '##[YODA]##&gt;' → id 50266; 50267 ≤ 50272: no resize
/// </code></example>
public static class TokenizerRules
{
    /// <summary>Rule: the EOS token only ends text.</summary>
    public const string EosOnlyEndsText = "EOS only ends text";

    /// <summary>Rule: BOS must differ from EOS.</summary>
    public const string BosDiffersFromEos = "BOS must differ from EOS";

    /// <summary>Rule: UNK must differ from EOS.</summary>
    public const string UnkDiffersFromEos = "UNK must differ from EOS";

    /// <summary>Rule: PAD must differ from EOS.</summary>
    public const string PadDiffersFromEos = "PAD must differ from EOS";

    /// <summary>Rule: every token id must have an embedding row.</summary>
    public const string EmbeddingCoversVocabulary = "every token id has an embedding row";

    /// <summary>Applies the rules to <paramref name="tokenizer"/> (changing it) and says what the model needs.</summary>
    /// <exception cref="TokenizerRuleException">The configuration cannot satisfy a rule; the message says which and what to change.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="TokenizerSetupOptions.EmbeddingSize"/> is not positive.</exception>
    public static TokenizerSetupResult Apply(ParleyTokenizer tokenizer, TokenizerSetupOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.EmbeddingSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.EmbeddingSize, "EmbeddingSize must be the model's positive embedding row count (config.vocab_size).");

        var decisions = new List<string>();
        string eos = tokenizer.EosToken ?? throw new TokenizerRuleException(EosOnlyEndsText,
            $"{tokenizer.Source} names no EOS token; set eos_token in tokenizer_config.json or call SetRoleToken(SpecialTokenRole.Eos, …).");
        decisions.Add($"EOS is '{eos}' (id {Id(tokenizer, eos)}); it only ends text.");

        ApplyBos(tokenizer, options, eos, decisions);
        ApplyUnk(tokenizer, options, eos, decisions);
        ApplyPad(tokenizer, options, eos, decisions);

        foreach (string special in options.SpecialTokens) AddOne(tokenizer, special, special: true, decisions);
        foreach (string token in options.Tokens) AddOne(tokenizer, token, special: false, decisions);

        int count = tokenizer.Count;
        int multiple = LargestPowerOfTwoDividing(options.EmbeddingSize);
        int? resizeTo = null;
        if (count > options.EmbeddingSize)
        {
            resizeTo = (count + multiple - 1) / multiple * multiple;
            decisions.Add($"The tokenizer has {count} tokens but the embedding has {options.EmbeddingSize} rows: resize it to {resizeTo} " +
                          $"(pad_to_multiple_of={multiple}, the largest power of two dividing {options.EmbeddingSize}).");
        }
        else
        {
            decisions.Add($"The tokenizer's {count} tokens fit the embedding's {options.EmbeddingSize} rows: no resize.");
        }

        PaddingSide side = options.ForGeneration ? PaddingSide.Left : tokenizer.PaddingSide;
        if (side != tokenizer.PaddingSide)
            decisions.Add($"Padding side set to {side} (was {tokenizer.PaddingSide}) because prompts are batched for generation.");
        else
            decisions.Add($"Padding side stays {side}{(options.ForGeneration ? " for generation" : "")}.");
        tokenizer.PaddingSide = side;

        return new TokenizerSetupResult(decisions, count, options.EmbeddingSize, resizeTo, multiple, side);
    }

    /// <summary>The largest power of two dividing <paramref name="size"/> (the seed's <c>get_multiple_of</c>: 50272 → 32).</summary>
    /// <example><code>int m = TokenizerRules.LargestPowerOfTwoDividing(50272); // 32</code></example>
    public static int LargestPowerOfTwoDividing(int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "Size must be positive.");
        return size & -size;
    }

    private static void ApplyBos(ParleyTokenizer tok, TokenizerSetupOptions options, string eos, List<string> decisions)
    {
        string? bos = tok.BosToken;
        if (bos is null) { decisions.Add("No BOS token: sequences start without one."); return; }
        if (bos != eos) { decisions.Add($"BOS '{bos}' (id {Id(tok, bos)}) differs from EOS: kept."); return; }
        if (options.AlternativeBosToken == eos || string.IsNullOrEmpty(options.AlternativeBosToken))
            throw new TokenizerRuleException(BosDiffersFromEos,
                $"BOS is '{bos}', the EOS token, and the alternative BOS '{options.AlternativeBosToken}' cannot replace it; set AlternativeBosToken to a token other than EOS.");
        int added = tok.SetRoleToken(SpecialTokenRole.Bos, options.AlternativeBosToken);
        decisions.Add($"BOS was '{bos}', the same as EOS, so a sequence start would read as an end: BOS is now '{options.AlternativeBosToken}' " +
                      $"(id {Id(tok, options.AlternativeBosToken)}{(added > 0 ? ", new" : "")}).");
    }

    private static void ApplyUnk(ParleyTokenizer tok, TokenizerSetupOptions options, string eos, List<string> decisions)
    {
        string? unk = tok.UnkToken;
        if (unk is null) { decisions.Add("No UNK token."); return; }
        if (unk != eos) { decisions.Add($"UNK '{unk}' (id {Id(tok, unk)}) differs from EOS: kept."); return; }
        if (options.AlternativeUnkToken is null)
        {
            tok.SetRoleToken(SpecialTokenRole.Unk, null);
            decisions.Add($"UNK was '{unk}', the same as EOS: UNK is cleared, so it cannot be used as PAD (set AlternativeUnkToken to add one instead).");
            return;
        }
        if (options.AlternativeUnkToken == eos)
            throw new TokenizerRuleException(UnkDiffersFromEos, $"the alternative UNK '{eos}' is the EOS token; choose another AlternativeUnkToken or leave it null.");
        int added = tok.SetRoleToken(SpecialTokenRole.Unk, options.AlternativeUnkToken);
        decisions.Add($"UNK was '{unk}', the same as EOS: UNK is now '{options.AlternativeUnkToken}' (id {Id(tok, options.AlternativeUnkToken)}{(added > 0 ? ", new" : "")}).");
    }

    private static void ApplyPad(ParleyTokenizer tok, TokenizerSetupOptions options, string eos, List<string> decisions)
    {
        string? pad = tok.PadToken;
        if (pad is not null && pad != eos) { decisions.Add($"PAD '{pad}' (id {Id(tok, pad)}) differs from EOS: kept."); return; }
        string why = pad is null ? "No PAD token" : $"PAD was '{pad}', the same as EOS (padding would be masked like real ends of text)";
        string? unk = tok.UnkToken;
        if (unk is not null && unk != eos)
        {
            tok.SetRoleToken(SpecialTokenRole.Pad, unk);
            decisions.Add($"{why}: PAD is now the UNK token '{unk}' (id {Id(tok, unk)}).");
            return;
        }
        if (options.NewPadToken == eos || string.IsNullOrEmpty(options.NewPadToken))
            throw new TokenizerRuleException(PadDiffersFromEos,
                $"{why}, there is no usable UNK, and the new PAD '{options.NewPadToken}' is not a valid replacement; set NewPadToken to a token other than EOS.");
        int added = tok.SetRoleToken(SpecialTokenRole.Pad, options.NewPadToken);
        decisions.Add($"{why} and no usable UNK: PAD is now '{options.NewPadToken}' (id {Id(tok, options.NewPadToken)}{(added > 0 ? ", new" : "")}).");
    }

    private static void AddOne(ParleyTokenizer tok, string token, bool special, List<string> decisions)
    {
        int added = special ? tok.AddSpecialTokens(token) : tok.AddTokens(token);
        string kind = special ? "special token" : "token";
        decisions.Add(added > 0
            ? $"Added {kind} '{token}' as id {Id(tok, token)}; len(tokenizer) is now {tok.Count}."
            : $"{char.ToUpperInvariant(kind[0])}{kind[1..]} '{token}' already exists as id {Id(tok, token)}.");
    }

    private static string Id(ParleyTokenizer tok, string token) => tok.TokenToId(token)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
}
