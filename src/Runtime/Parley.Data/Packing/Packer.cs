namespace Parley.Packing;

/// <summary>
/// Plans packing from sequence lengths alone (TRL <c>pack_dataset</c> semantics): <c>wrapped</c>, <c>bfd</c> and
/// <c>bfd_split</c>. The plan is then applied to every column. Empty sequences are dropped and counted.
/// </summary>
/// <example><code>
/// int[] lengths = [5, 2, 4, 1];
/// var plan = Packer.Plan(lengths, new PackingOptions { SeqLength = 4, Strategy = PackingStrategy.BfdSplit });
/// // rows: [row0 0..4], [row2], [row1, row0 4..5, row3]; plan.SeqLengths() == [[4], [4], [2, 1, 1]]
/// Console.WriteLine(plan.Report.FillEfficiency);   // 1
/// </code></example>
public static class Packer
{
    /// <summary>Plans the packing of sequences with the given lengths.</summary>
    /// <exception cref="ArgumentException">The options are invalid or a length is negative.</exception>
    public static PackingPlan Plan(ReadOnlySpan<int> lengths, PackingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        for (int i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] < 0) throw new ArgumentException($"Sequence {i} has a negative length ({lengths[i]}).", nameof(lengths));
        }
        return options.Strategy switch
        {
            PackingStrategy.Wrapped => WrappedPacking.Plan(lengths, options),
            _ => BestFitDecreasing.Plan(lengths, options.SeqLength, split: options.Strategy == PackingStrategy.BfdSplit),
        };
    }
}
