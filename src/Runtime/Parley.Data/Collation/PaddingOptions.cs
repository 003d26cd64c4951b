namespace Parley.Collation;

/// <summary>How <see cref="PaddingCollator"/> shapes a batch.</summary>
/// <example><code>
/// var options = new PaddingOptions { PadTokenId = 32000, Side = PaddingSide.Right, PadToMultipleOf = 8 };
/// </code></example>
public sealed record PaddingOptions
{
    /// <summary>The id written into padding positions (it never receives a label, whatever its value).</summary>
    public long PadTokenId { get; init; }

    /// <summary>Where padding goes; <see cref="PaddingSide.Right"/> by default.</summary>
    public PaddingSide Side { get; init; } = PaddingSide.Right;

    /// <summary>
    /// Upper bound on <see cref="Batch.Columns"/> before rounding to <see cref="PadToMultipleOf"/>; 0 for none.
    /// Longer rows keep their first <c>MaxLength</c> tokens.
    /// </summary>
    public int MaxLength { get; init; }

    /// <summary>Pad every batch to <see cref="MaxLength"/> (HF <c>padding="max_length"</c>) instead of to the longest row.</summary>
    public bool PadToMaxLength { get; init; }

    /// <summary>Round the padded length up to a multiple of this (tensor cores like 8 or 64); 0 or 1 for none.</summary>
    public int PadToMultipleOf { get; init; }

    /// <summary>Checks the values and says which one is wrong.</summary>
    /// <exception cref="ArgumentException">A value is negative, or <see cref="PadToMaxLength"/> is set without <see cref="MaxLength"/>.</exception>
    public void Validate()
    {
        if (MaxLength < 0) throw new ArgumentException($"MaxLength must be 0 (none) or positive; got {MaxLength}.", nameof(MaxLength));
        if (PadToMultipleOf < 0) throw new ArgumentException($"PadToMultipleOf must be 0 (none) or positive; got {PadToMultipleOf}.", nameof(PadToMultipleOf));
        if (PadToMaxLength && MaxLength == 0) throw new ArgumentException("PadToMaxLength needs MaxLength: set MaxLength to the padded length.", nameof(PadToMaxLength));
    }

    internal static int RoundUp(int length, int multiple) =>
        multiple > 1 && length % multiple != 0 ? checked(length + multiple - length % multiple) : length;
}
