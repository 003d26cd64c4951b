namespace Parley.Tokenization;

/// <summary>
/// A tokenizer configuration breaks one of the rules <see cref="TokenizerRules"/> enforces; the message names the rule,
/// the tokens involved, and what to change.
/// </summary>
/// <example><code>
/// try { TokenizerRules.Apply(tok, new TokenizerSetupOptions { EmbeddingSize = 50272 }); }
/// catch (TokenizerRuleException e) { Console.Error.WriteLine($"{e.Rule}: {e.Message}"); }
/// </code></example>
public sealed class TokenizerRuleException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="rule">The rule broken, e.g. <c>"PAD must differ from EOS"</c>.</param>
    /// <param name="problem">What is wrong and what to do.</param>
    public TokenizerRuleException(string rule, string problem) : base($"Rule '{rule}' is broken: {problem}") => Rule = rule;

    /// <summary>The rule broken.</summary>
    public string Rule { get; }
}
