namespace Parley.Packing;

/// <summary>What a packing did: how full the rows are and what was cut or dropped (nothing is lost silently).</summary>
/// <example><code>Console.WriteLine(plan.Report);   // "bfd: 1000 sequences -> 120 rows of 2048, fill 97.31 % …"</code></example>
public sealed record PackingReport
{
    /// <summary>The strategy used.</summary>
    public PackingStrategy Strategy { get; init; }

    /// <summary>Tokens per row.</summary>
    public int SeqLength { get; init; }

    /// <summary>Source sequences.</summary>
    public long Sequences { get; init; }

    /// <summary>Empty source sequences, which produce nothing.</summary>
    public long EmptySequences { get; init; }

    /// <summary>Sequences longer than <see cref="SeqLength"/>: truncated (bfd) or split (bfd_split, wrapped).</summary>
    public long LongSequences { get; init; }

    /// <summary>Tokens removed by truncation (bfd) or by dropping the incomplete tail (wrapped).</summary>
    public long DroppedTokens { get; init; }

    /// <summary>Packed rows.</summary>
    public long Rows { get; init; }

    /// <summary>Tokens in the packed rows (separators included).</summary>
    public long Tokens { get; init; }

    /// <summary><see cref="Rows"/> × <see cref="SeqLength"/>: the tokens a padded batch of these rows would hold.</summary>
    public long Capacity => Rows * (long)SeqLength;

    /// <summary>Share of real tokens in padded rows, 0..1 (1 when nothing would be padding).</summary>
    public double FillEfficiency => Capacity == 0 ? 1 : (double)Tokens / Capacity;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Strategy}: {Sequences} sequences -> {Rows} rows of {SeqLength}, fill {FillEfficiency * 100:F2} % ({Tokens} of {Capacity} tokens); " +
        $"{EmptySequences} empty, {LongSequences} longer than {SeqLength}, {DroppedTokens} tokens dropped.";
}
