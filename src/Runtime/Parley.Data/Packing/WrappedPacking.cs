namespace Parley.Packing;

/// <summary>Concatenate and cut: fixed-length rows, sequences split across row boundaries.</summary>
internal static class WrappedPacking
{
    public static PackingPlan Plan(ReadOnlySpan<int> lengths, PackingOptions options)
    {
        int seqLength = options.SeqLength;
        var segments = new List<PackedSegment>(lengths.Length + lengths.Length / 4 + 1);
        var rowOffsets = new List<int> { 0 };
        int free = seqLength; // room left in the current row
        long empty = 0, longSequences = 0, tokens = 0;
        for (int row = 0; row < lengths.Length; row++)
        {
            int length = lengths[row];
            if (length == 0) { empty++; continue; }
            if (length > seqLength) longSequences++;
            for (int start = 0; start < length;)
            {
                if (free == 0) { rowOffsets.Add(segments.Count); free = seqLength; }
                int take = Math.Min(free, length - start);
                segments.Add(new PackedSegment(row, start, take, false));
                start += take;
                free -= take;
            }
            if (options.Separator)
            {
                if (free == 0)
                {
                    rowOffsets.Add(segments.Count);
                    free = seqLength;
                    segments.Add(new PackedSegment(row, length, 0, true));
                }
                else
                {
                    segments[^1] = segments[^1] with { Separator = true };
                }
                free--;
            }
            tokens += length + (options.Separator ? 1 : 0);
        }
        long dropped = 0;
        if (segments.Count > 0)
        {
            rowOffsets.Add(segments.Count);
            if (options.DropIncompleteTail && free > 0)
            {
                dropped = seqLength - free;
                tokens -= dropped;
                rowOffsets.RemoveAt(rowOffsets.Count - 1);
                segments.RemoveRange(rowOffsets[^1], segments.Count - rowOffsets[^1]);
            }
        }
        var report = new PackingReport
        {
            Strategy = PackingStrategy.Wrapped,
            SeqLength = seqLength,
            Sequences = lengths.Length,
            EmptySequences = empty,
            LongSequences = longSequences,
            DroppedTokens = dropped,
            Rows = rowOffsets.Count - 1,
            Tokens = tokens,
        };
        return new PackingPlan(segments.ToArray(), segments.Count, rowOffsets.ToArray(), lengths.ToArray(), report, options.Separator);
    }
}
