using System.Text.Json;

namespace Parley.Tokenization;

/// <summary>
/// The parts of HF's <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> a tokenizer needs: which token
/// plays which role, extra special tokens, and the padding side. <c>tokenizer_config.json</c> wins where both name a role.
/// </summary>
internal sealed class TokenizerConfig
{
    public static readonly TokenizerConfig Empty = new();

    public Dictionary<SpecialTokenRole, string> Roles { get; } = new();

    public List<string> AdditionalSpecialTokens { get; } = new();

    public PaddingSide PaddingSide { get; set; } = PaddingSide.Right;

    private static readonly (string Key, SpecialTokenRole Role)[] RoleKeys =
    [
        ("bos_token", SpecialTokenRole.Bos), ("eos_token", SpecialTokenRole.Eos),
        ("unk_token", SpecialTokenRole.Unk), ("pad_token", SpecialTokenRole.Pad),
    ];

    /// <summary>Reads either file; call for <c>special_tokens_map.json</c> after <c>tokenizer_config.json</c>.</summary>
    public void Read(JsonElement root, string file)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(file, "$", "expected a JSON object.");
        foreach (var (key, role) in RoleKeys)
        {
            if (!root.TryGetProperty(key, out JsonElement value) || Roles.ContainsKey(role)) continue;
            if (TokenText(value, file, key) is { } text) Roles[role] = text;
        }
        if (root.TryGetProperty("additional_special_tokens", out JsonElement extra) && extra.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (JsonElement e in extra.EnumerateArray())
                if (TokenText(e, file, $"additional_special_tokens[{i++}]") is { } text && !AdditionalSpecialTokens.Contains(text))
                    AdditionalSpecialTokens.Add(text);
        }
        if (root.TryGetProperty("padding_side", out JsonElement side) && side.ValueKind == JsonValueKind.String)
        {
            PaddingSide = side.GetString() switch
            {
                "left" => PaddingSide.Left,
                "right" => PaddingSide.Right,
                var other => throw new TokenizerFormatException(file, "padding_side", $"'{other}' is neither \"left\" nor \"right\"."),
            };
        }
    }

    private static string? TokenText(JsonElement value, string file, string field) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => throw new TokenizerFormatException(file, field, "expected a string, null, or an object with \"content\"."),
    };
}
