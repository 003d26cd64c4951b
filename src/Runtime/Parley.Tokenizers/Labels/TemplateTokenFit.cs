using System.Text.RegularExpressions;
using Parley.Tokenization;

namespace Parley.Labels;

/// <summary>
/// Checks that a tokenizer encodes every special token a template writes as one token. A template's
/// <c>&lt;|end|&gt;</c> that a tokenizer splits into five plain pieces trains the model on text it will never see at
/// inference, and its EOS no longer ends anything; the data looks fine and is silently wrong, so this check runs before
/// anything is written.
/// </summary>
/// <example><code>
/// TemplateTokenFit.Require(ChatML.Info, ParleyTokenizer.FromTiktoken("gpt2"));
/// // throws: template ChatML writes '&lt;|im_start|&gt;' (7 tokens in gpt2), ...
/// </code></example>
public static partial class TemplateTokenFit
{
    /// <summary>The rule name in <see cref="TokenizerRuleException.Rule"/>.</summary>
    public const string Rule = "the template's special tokens are single tokens";

    /// <summary>
    /// The tokens <paramref name="info"/> needs as single tokens: its declared <see cref="TemplateInfo.SpecialTokens"/>
    /// and every <c>&lt;|name|&gt;</c>-shaped token written by its turns, generation prompt and conversation start/end.
    /// </summary>
    /// <param name="info">The template's description.</param>
    public static IReadOnlyList<string> TokensOf(TemplateInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var tokens = new List<string>();
        void Add(string? token)
        {
            if (!string.IsNullOrEmpty(token) && !tokens.Contains(token)) tokens.Add(token);
        }

        foreach (string token in info.SpecialTokens) Add(token);
        IEnumerable<string?> structure = info.Turns.SelectMany(t => new[] { t.Prefix, t.Suffix })
            .Append(info.GenerationPrompt).Append(info.ConversationStart).Append(info.ConversationEnd)
            .Append(info.InstructionMarker).Append(info.ResponseMarker);
        foreach (string? text in structure)
        {
            if (text is null) continue;
            foreach (Match match in SpecialShape().Matches(text)) Add(match.Value);
        }

        return tokens;
    }

    /// <summary>Each token of <see cref="TokensOf"/> that <paramref name="tokenizer"/> does not encode as one token, with its token count.</summary>
    /// <param name="info">The template's description.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    public static IReadOnlyList<(string Token, int Pieces)> Missing(TemplateInfo info, ParleyTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var missing = new List<(string, int)>();
        foreach (string token in TokensOf(info))
        {
            int pieces = tokenizer.EncodeToIds(token, addSpecialTokens: false).Length;
            if (pieces != 1) missing.Add((token, pieces));
        }

        return missing;
    }

    /// <summary>Throws when <see cref="Missing"/> is not empty.</summary>
    /// <param name="info">The template's description.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="fix">What the caller can do (e.g. a command-line option); null for the library's advice.</param>
    /// <exception cref="TokenizerRuleException">A special token is not one token; the message lists each with its piece count.</exception>
    public static void Require(TemplateInfo info, ParleyTokenizer tokenizer, string? fix = null)
    {
        IReadOnlyList<(string Token, int Pieces)> missing = Missing(info, tokenizer);
        if (missing.Count == 0) return;
        string list = string.Join(", ", missing.Select(m => $"'{m.Token.Replace("\n", "\\n", StringComparison.Ordinal)}' ({m.Pieces} tokens)"));
        throw new TokenizerRuleException(Rule,
            $"template {info.Name} writes {list}, but the tokenizer {tokenizer.Source} does not have {(missing.Count == 1 ? "it" : "them")} as single tokens, " +
            $"so rows would train on the pieces and the end-of-turn token would never be learned. " +
            (fix ?? "Use the tokenizer made for this template, or add the tokens (tokenizer.AddSpecialTokens(...)) and resize the model's embeddings."));
    }

    [GeneratedRegex(@"<\|[^\s|<>]{1,64}\|>|<｜[^\s｜<>]{1,64}｜>")]
    private static partial Regex SpecialShape();
}
