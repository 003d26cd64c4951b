namespace Parley.Labels;

/// <summary>What happens to a token whose characters lie partly inside a trainable range and partly outside it.</summary>
public enum StraddleRule
{
    /// <summary>
    /// The token is trained when any of its characters is trainable (the default, and what transformers'
    /// <c>return_assistant_tokens_mask</c> does through <c>char_to_token</c>): nothing the model should learn is lost,
    /// e.g. SentencePiece's <c>"▁Yes"</c> is trained though its leading space belongs to the prompt.
    /// </summary>
    Overlap,

    /// <summary>The token is trained only when all of its characters are trainable (nothing outside a range is learned).</summary>
    Contained,

    /// <summary>The token is trained when its first character is trainable.</summary>
    Start,
}
