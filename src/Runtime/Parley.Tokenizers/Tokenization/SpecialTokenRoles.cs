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
