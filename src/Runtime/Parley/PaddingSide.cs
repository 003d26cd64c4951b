namespace Parley;

/// <summary>
/// Which end of a row receives the padding: one setting shared by the tokenizer (HF's <c>padding_side</c>) and the
/// collators that apply it.
/// </summary>
/// <example><code>var options = new PaddingOptions { PadTokenId = 32000, Side = tokenizer.PaddingSide };</code></example>
public enum PaddingSide
{
    /// <summary>Pad after the tokens (HF's default; right for training).</summary>
    Right,

    /// <summary>Pad before the tokens (batched generation with decoder-only models).</summary>
    Left,
}
