namespace Parley.Packing;

/// <summary>
/// One piece of a packed row: <see cref="Length"/> tokens of source row <see cref="SourceRow"/> from
/// <see cref="Start"/>, followed by one separator token when <see cref="Separator"/> is set.
/// </summary>
/// <param name="SourceRow">Index of the source sequence.</param>
/// <param name="Start">First token taken from it.</param>
/// <param name="Length">Number of source tokens taken.</param>
/// <param name="Separator">Whether a separator token follows (wrapped packing with a separator).</param>
/// <example><code>var piece = new PackedSegment(SourceRow: 3, Start: 0, Length: 5, Separator: false);</code></example>
public readonly record struct PackedSegment(int SourceRow, int Start, int Length, bool Separator)
{
    /// <summary>Tokens this piece occupies in the packed row (its entry in <c>seq_lengths</c>).</summary>
    public int TokenCount => Length + (Separator ? 1 : 0);
}
