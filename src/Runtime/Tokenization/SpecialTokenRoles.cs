namespace Parley.Tokenization;

/// <summary>A role a token plays, as HF's <c>tokenizer_config.json</c> names it (<c>bos_token</c>, …).</summary>
/// <example><code>int? pad = tokenizer.GetRoleTokenId(SpecialTokenRole.Pad);</code></example>
public enum SpecialTokenRole
{
    /// <summary>Beginning of sequence (<c>bos_token</c>).</summary>
    Bos,

    /// <summary>End of sequence (<c>eos_token</c>); it only ever ends text.</summary>
    Eos,

    /// <summary>Unknown (<c>unk_token</c>).</summary>
    Unk,

    /// <summary>Padding (<c>pad_token</c>).</summary>
    Pad,
}

/// <summary>Which side a collator pads on.</summary>
/// <example><code>if (tokenizer.PaddingSide == PaddingSide.Left) { /* put pad ids before the prompt */ }</code></example>
public enum PaddingSide
{
    /// <summary>Pad after the text (HF's default; right for training).</summary>
    Right,

    /// <summary>Pad before the text (needed for batched generation).</summary>
    Left,
}
