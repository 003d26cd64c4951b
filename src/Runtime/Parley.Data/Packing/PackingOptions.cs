namespace Parley.Packing;

/// <summary>How sequences are packed into rows of <see cref="PackingOptions.SeqLength"/> tokens.</summary>
public enum PackingStrategy
{
    /// <summary>
    /// Concatenate every sequence (optionally with a separator token after each, the seed's
    /// <c>ConstantLengthDataset</c>) and cut fixed-length rows; sequences are split across rows.
    /// </summary>
    Wrapped,

    /// <summary>Best-fit decreasing (TRL <c>bfd</c>): whole sequences into the fullest row they fit; longer ones truncated.</summary>
    Bfd,

    /// <summary>Best-fit decreasing with overflow re-queued (TRL <c>bfd_split</c>): long sequences are cut into <c>SeqLength</c> chunks first.</summary>
    BfdSplit,
}

/// <summary>Options of <see cref="Packer"/>.</summary>
/// <example><code>var options = new PackingOptions { SeqLength = 2048, Strategy = PackingStrategy.BfdSplit };</code></example>
public sealed record PackingOptions
{
    /// <summary>The largest <see cref="SeqLength"/>: 2^20 tokens. Planning costs memory in proportion to it, and no model trains on longer rows.</summary>
    public const int MaxSeqLength = 1 << 20;

    /// <summary>Tokens per packed row (TRL <c>max_length</c>); between 1 and <see cref="MaxSeqLength"/>.</summary>
    public int SeqLength { get; init; }

    /// <summary>The strategy; <see cref="PackingStrategy.Bfd"/> by default, as in TRL.</summary>
    public PackingStrategy Strategy { get; init; } = PackingStrategy.Bfd;

    /// <summary>
    /// <see cref="PackingStrategy.Wrapped"/> only: put one separator token (usually EOS) after every sequence. Its
    /// value is given per column when the plan is applied.
    /// </summary>
    public bool Separator { get; init; }

    /// <summary><see cref="PackingStrategy.Wrapped"/> only: drop a last row shorter than <see cref="SeqLength"/> (as <c>ConstantLengthDataset</c> does).</summary>
    public bool DropIncompleteTail { get; init; }

    /// <summary>Checks the values and says which one is wrong.</summary>
    /// <exception cref="ArgumentException">A value is out of range or does not apply to the strategy.</exception>
    public void Validate()
    {
        if (SeqLength <= 0 || SeqLength > MaxSeqLength) throw new ArgumentException($"SeqLength must be between 1 and {MaxSeqLength}; got {SeqLength}.", nameof(SeqLength));
        if (Strategy != PackingStrategy.Wrapped && (Separator || DropIncompleteTail))
        {
            throw new ArgumentException($"Separator and DropIncompleteTail apply to the Wrapped strategy only; {Strategy} keeps sequences whole and records their lengths instead.", nameof(Strategy));
        }
    }
}
