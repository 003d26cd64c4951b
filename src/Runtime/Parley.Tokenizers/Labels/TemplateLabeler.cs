using System.Numerics;

namespace Parley.Labels;

/// <summary>
/// Labels from the template (the default masking): the compiled template reports which characters of the formatted
/// text are trainable (<see cref="TextRange"/>s, e.g. the assistant turns), the tokenizer reports each token's
/// character span, and a token is labelled with its own id when it is trainable under the <see cref="StraddleRule"/>,
/// -100 otherwise. No marker search, so no context-dependent tokenization failures.
/// </summary>
/// <remarks>
/// Token offsets are half-open <c>(Start, End)</c> character spans in the formatted text. A token with an empty span
/// covers no character and follows the token just before it when that token ends where the empty span sits: the 2nd
/// to nth byte-fallback pieces of one character (an emoji split into byte tokens) are trained with its first piece,
/// so no byte of a trained character is lost. A leading empty token (BOS added by a post-processor at
/// <c>(0, 0)</c>) is never trained; an EOS a post-processor appends right after trained text is. Ranges must be sorted and must not overlap (templates emit them that way); offsets are expected in
/// ascending order (tokenizers emit them that way) but any order gives correct labels, only slower.
/// Allocation-free; O(tokens + ranges) for ascending offsets.
/// </remarks>
/// <example><code>
/// // text "&lt;|user|&gt;Hi&lt;|assistant|&gt;Yo" with trainable range [23, 25) ("Yo")
/// (int, int)[] offsets = [(0, 8), (8, 10), (10, 23), (23, 25)];
/// int[] ids = [5, 6, 7, 8];
/// var labels = new int[4];
/// TemplateLabeler.Apply&lt;int&gt;(ids, offsets, [TextRange.FromBounds(23, 25)], labels);
/// // labels == [-100, -100, -100, 8]
/// </code></example>
public static class TemplateLabeler
{
    /// <summary>Writes one label per token into <paramref name="labels"/>; returns how many tokens are trained.</summary>
    /// <exception cref="ArgumentException">Lengths differ, ranges are unsorted or overlap, or an offset is inverted.</exception>
    public static int Apply<T>(
        ReadOnlySpan<T> ids,
        ReadOnlySpan<(int Start, int End)> offsets,
        ReadOnlySpan<TextRange> trainable,
        Span<T> labels,
        StraddleRule rule = StraddleRule.Overlap)
        where T : unmanaged, IBinaryInteger<T> =>
        Core(ids, new TupleOffsets(offsets), trainable, labels, rule);

    /// <summary>
    /// As <see cref="Apply{T}(ReadOnlySpan{T}, ReadOnlySpan{ValueTuple{int, int}}, ReadOnlySpan{TextRange}, Span{T}, StraddleRule)"/>,
    /// with token offsets as <see cref="TextRange"/>s (what <c>ParleyTokenizer.Encode</c> returns).
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, or ranges are unsorted or overlap.</exception>
    public static int Apply<T>(
        ReadOnlySpan<T> ids,
        ReadOnlySpan<TextRange> offsets,
        ReadOnlySpan<TextRange> trainable,
        Span<T> labels,
        StraddleRule rule = StraddleRule.Overlap)
        where T : unmanaged, IBinaryInteger<T> =>
        Core(ids, new RangeOffsets(offsets), trainable, labels, rule);

    private interface IOffsets
    {
        int Length { get; }

        (int Start, int End) this[int index] { get; }
    }

    private readonly ref struct TupleOffsets(ReadOnlySpan<(int Start, int End)> offsets) : IOffsets
    {
        private readonly ReadOnlySpan<(int Start, int End)> _offsets = offsets;

        public int Length => _offsets.Length;

        public (int Start, int End) this[int index] => _offsets[index];
    }

    private readonly ref struct RangeOffsets(ReadOnlySpan<TextRange> offsets) : IOffsets
    {
        private readonly ReadOnlySpan<TextRange> _offsets = offsets;

        public int Length => _offsets.Length;

        public (int Start, int End) this[int index] => (_offsets[index].Start, _offsets[index].End);
    }

    private static int Core<T, TOffsets>(ReadOnlySpan<T> ids, TOffsets offsets, ReadOnlySpan<TextRange> trainable, Span<T> labels, StraddleRule rule)
        where T : unmanaged, IBinaryInteger<T>
        where TOffsets : IOffsets, allows ref struct
    {
        if (offsets.Length != ids.Length)
        {
            throw new ArgumentException($"One offset per token is needed: {ids.Length} ids but {offsets.Length} offsets.", nameof(offsets));
        }
        if (labels.Length < ids.Length)
        {
            throw new ArgumentException($"labels holds {labels.Length} values; {ids.Length} are needed.", nameof(labels));
        }
        for (int i = 1; i < trainable.Length; i++)
        {
            if (trainable[i].Start < trainable[i - 1].End)
            {
                throw new ArgumentException($"Trainable ranges must be sorted and must not overlap: range {i} {trainable[i]} starts before range {i - 1} {trainable[i - 1]} ends.", nameof(trainable));
            }
        }

        T ignore = T.CreateTruncating(LabelIds.Ignore);
        int trained = 0;
        int r = 0;
        int previousStart = int.MinValue;
        bool previousTrained = false;
        int previousEnd = -1;
        for (int t = 0; t < ids.Length; t++)
        {
            var (start, end) = offsets[t];
            if (end < start)
            {
                throw new ArgumentException($"Token {t} has an inverted offset ({start}, {end}); offsets are (Start, End) with End >= Start.", nameof(offsets));
            }
            if (start < previousStart) r = 0; // offsets went backwards: search the ranges again from the first
            previousStart = start;
            // Skip ranges that end at or before this token starts (they cannot cover it or any later, ascending token)
            // and empty ranges (they cover nothing).
            while (r < trainable.Length && (trainable[r].End <= start || trainable[r].Length == 0)) r++;
            bool train = start < end
                ? r < trainable.Length && IsTrained(start, end, trainable, r, rule)
                : previousTrained && previousEnd == start;
            labels[t] = train ? ids[t] : ignore;
            if (train) trained++;
            previousTrained = train;
            previousEnd = end;
        }
        return trained;
    }

    private static bool IsTrained(int start, int end, ReadOnlySpan<TextRange> ranges, int r, StraddleRule rule)
    {
        var range = ranges[r]; // the first range ending after start
        switch (rule)
        {
            case StraddleRule.Overlap:
                return range.Start < end;
            case StraddleRule.Start:
                return range.Start <= start;
            default:
                // Contained: adjacent ranges [a,b) [b,c) together cover the token too.
                if (range.Start > start) return false;
                int covered = range.End;
                for (int k = r + 1; covered < end && k < ranges.Length && ranges[k].Start == covered; k++) covered = ranges[k].End;
                return covered >= end;
        }
    }
}
