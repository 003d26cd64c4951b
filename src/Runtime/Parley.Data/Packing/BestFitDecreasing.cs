using System.Numerics;

namespace Parley.Packing;

/// <summary>
/// Best-fit decreasing as TRL's <c>_pack_bfd</c>: sequences sorted by length, longest first (stable: equal lengths
/// keep their order); each goes into the open row with the least room that still fits it, rows with equal room
/// taken first-opened-first; a new row when none fits. Rows come out in the order they were opened.
/// O(n + L) sort (counting sort over lengths), best-fit search over a bitset of free-room values.
/// </summary>
internal static class BestFitDecreasing
{
    public static PackingPlan Plan(ReadOnlySpan<int> lengths, int seqLength, bool split)
    {
        // 1. Items: (source row, start, length); truncate or split what is longer than seqLength.
        long empty = 0, longSequences = 0, dropped = 0, items = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int length = lengths[i];
            if (length == 0) { empty++; continue; }
            if (length > seqLength)
            {
                longSequences++;
                if (!split) dropped += length - seqLength;
            }
            items += split ? (length + seqLength - 1) / seqLength : 1;
        }
        int n = checked((int)items);
        var itemRow = new int[n];
        var itemStart = new int[n];
        var itemLength = new int[n];
        int k = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int length = lengths[i];
            if (length == 0) continue;
            if (!split)
            {
                itemRow[k] = i; itemStart[k] = 0; itemLength[k] = Math.Min(length, seqLength); k++;
                continue;
            }
            for (int start = 0; start < length; start += seqLength)
            {
                itemRow[k] = i; itemStart[k] = start; itemLength[k] = Math.Min(seqLength, length - start); k++;
            }
        }

        // 2. Stable counting sort by length, descending.
        var bucketStart = new int[seqLength + 2];
        for (int i = 0; i < n; i++) bucketStart[seqLength - itemLength[i] + 1]++;
        for (int b = 1; b < bucketStart.Length; b++) bucketStart[b] += bucketStart[b - 1];
        var order = new int[n];
        for (int i = 0; i < n; i++) order[bucketStart[seqLength - itemLength[i]]++] = i;

        // 3. Best fit. Bins: room left, item list (head/tail + itemNext), FIFO queue per room value.
        var binRoom = new int[n];
        var binHead = new int[n];
        var binTail = new int[n];
        var binQueueNext = new int[n];
        var itemNext = new int[n];
        var queueHead = new int[seqLength + 1];
        var queueTail = new int[seqLength + 1];
        Array.Fill(queueHead, -1);
        Array.Fill(queueTail, -1);
        var nonEmpty = new ulong[(seqLength >> 6) + 1]; // bit s set: some open bin has exactly s free
        int bins = 0;
        foreach (int item in order)
        {
            int length = itemLength[item];
            int room = NextSetBit(nonEmpty, length);
            int bin;
            if (room >= 0)
            {
                bin = queueHead[room];
                queueHead[room] = binQueueNext[bin];
                if (queueHead[room] < 0)
                {
                    queueTail[room] = -1;
                    nonEmpty[room >> 6] &= ~(1UL << room);
                }
                itemNext[binTail[bin]] = item;
                binTail[bin] = item;
            }
            else
            {
                bin = bins++;
                binRoom[bin] = seqLength;
                binHead[bin] = binTail[bin] = item;
            }
            itemNext[item] = -1;
            int left = binRoom[bin] -= length;
            if (left > 0)
            {
                binQueueNext[bin] = -1;
                if (queueTail[left] < 0) queueHead[left] = bin; else binQueueNext[queueTail[left]] = bin;
                queueTail[left] = bin;
                nonEmpty[left >> 6] |= 1UL << left;
            }
        }

        // 4. Rows in opening order, segments in insertion order.
        var segments = new PackedSegment[n];
        var rowOffsets = new int[bins + 1];
        long tokens = 0;
        int s = 0;
        for (int bin = 0; bin < bins; bin++)
        {
            for (int item = binHead[bin]; item >= 0; item = itemNext[item])
            {
                segments[s++] = new PackedSegment(itemRow[item], itemStart[item], itemLength[item], false);
                tokens += itemLength[item];
            }
            rowOffsets[bin + 1] = s;
        }
        var report = new PackingReport
        {
            Strategy = split ? PackingStrategy.BfdSplit : PackingStrategy.Bfd,
            SeqLength = seqLength,
            Sequences = lengths.Length,
            EmptySequences = empty,
            LongSequences = longSequences,
            DroppedTokens = dropped,
            Rows = bins,
            Tokens = tokens,
        };
        return new PackingPlan(segments, s, rowOffsets, lengths.ToArray(), report, hasSeparators: false);
    }

    /// <summary>Smallest set bit at or above <paramref name="from"/>, or -1.</summary>
    private static int NextSetBit(ulong[] bits, int from)
    {
        int word = from >> 6;
        if (word >= bits.Length) return -1;
        ulong current = bits[word] & (~0UL << (from & 63));
        while (true)
        {
            if (current != 0) return (word << 6) + BitOperations.TrailingZeroCount(current);
            if (++word == bits.Length) return -1;
            current = bits[word];
        }
    }
}
