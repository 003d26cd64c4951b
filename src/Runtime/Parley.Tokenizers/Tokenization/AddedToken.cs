namespace Parley.Tokenization;

/// <summary>
/// A token matched in raw text before the model runs (HF <c>added_tokens</c>): special control tokens such as
/// <c>&lt;|im_start|&gt;</c> and plain added words such as <c>##[YODA]##&gt;</c>.
/// </summary>
/// <param name="Content">The literal text of the token.</param>
/// <param name="Id">The token id.</param>
/// <param name="Special">Whether it is a control token; control tokens are never matched in message content.</param>
/// <param name="LStrip">Whether whitespace to the token's left is swallowed into it.</param>
/// <param name="RStrip">Whether whitespace to the token's right is swallowed into it (Phi-3's <c>&lt;|end|&gt;</c>).</param>
/// <param name="SingleWord">Whether it only matches as a whole word.</param>
/// <param name="Normalized">HF's <c>normalized</c> flag; Parley matches every added token on the raw text.</param>
/// <example><code>var yoda = new AddedToken("##[YODA]##>", 50266, Special: false);</code></example>
public sealed record AddedToken(
    string Content,
    int Id,
    bool Special = true,
    bool LStrip = false,
    bool RStrip = false,
    bool SingleWord = false,
    bool Normalized = false);
