using System.Runtime.CompilerServices;

namespace Parley.Tokenization;

/// <summary>What a pair of adjacent symbols merges into, and how early (lower rank merges first).</summary>
internal readonly record struct MergeTarget(int Rank, int Id);

/// <summary>Pair-of-ids → merge lookup shared by every BPE flavour (HF merges lists, SentencePiece scores).</summary>
internal sealed class MergeTable
{
    private readonly Dictionary<long, MergeTarget> _merges;

    public MergeTable(Dictionary<long, MergeTarget> merges) =>
        _merges = merges.Comparer is PairComparer ? merges : new Dictionary<long, MergeTarget>(merges, PairComparer.Instance);

    /// <summary>An empty dictionary with the right comparer, for readers to fill.</summary>
    public static Dictionary<long, MergeTarget> NewBuilder(int capacity = 0) => new(capacity, PairComparer.Instance);

    public int Count => _merges.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int left, int right, out MergeTarget target) => _merges.TryGetValue(Key(left, right), out target);
}

/// <summary>
/// Hashes a packed (left, right) id pair. <c>long.GetHashCode</c> is <c>left ^ right</c>, which sends (a, b) and (b, a)
/// and many near pairs to one bucket; a multiplicative mix spreads them.
/// </summary>
internal sealed class PairComparer : IEqualityComparer<long>
{
    public static readonly PairComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long pair) => (int)(((ulong)pair * 0x9E3779B97F4A7C15UL) >> 32);
}

/// <summary>
/// The BPE merge loop: repeatedly merges the adjacent pair with the lowest rank, leftmost first — the order of
/// HF tokenizers' <c>Word::merge_all</c> and of SentencePiece's <c>bpe_model.cc</c> (score ties go left).
/// Works in place on symbol ids and their lengths (in whatever unit the caller counts: bytes or chars).
/// </summary>
internal static class BpeMerger
{
    private const int SmallWord = 64;

    /// <summary>Merges <paramref name="ids"/>/<paramref name="lengths"/> in place; returns the new symbol count.</summary>
    public static int Merge(MergeTable table, Span<int> ids, Span<int> lengths)
    {
        int n = ids.Length;
        if (n < 2) return n;
        return n <= SmallWord ? MergeSmall(table, ids, lengths) : MergeLarge(table, ids, lengths);
    }

    // O(n) per merge over a cached rank array: fastest for the short words a pre-tokenizer produces.
    private static int MergeSmall(MergeTable table, Span<int> ids, Span<int> lengths)
    {
        int n = ids.Length;
        Span<int> ranks = stackalloc int[SmallWord];
        Span<int> targets = stackalloc int[SmallWord];
        for (int i = 0; i < n - 1; i++) Lookup(table, ids[i], ids[i + 1], out ranks[i], out targets[i]);
        while (n > 1)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i < n - 1; i++)
                if (ranks[i] < best) { best = ranks[i]; at = i; }
            if (at < 0) break;
            ids[at] = targets[at];
            lengths[at] += lengths[at + 1];
            int tail = n - at - 2;
            ids.Slice(at + 2, tail).CopyTo(ids.Slice(at + 1));
            lengths.Slice(at + 2, tail).CopyTo(lengths.Slice(at + 1));
            ranks.Slice(at + 2, Math.Max(0, tail - 1)).CopyTo(ranks.Slice(at + 1));
            targets.Slice(at + 2, Math.Max(0, tail - 1)).CopyTo(targets.Slice(at + 1));
            n--;
            if (at > 0) Lookup(table, ids[at - 1], ids[at], out ranks[at - 1], out targets[at - 1]);
            if (at < n - 1) Lookup(table, ids[at], ids[at + 1], out ranks[at], out targets[at]);
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lookup(MergeTable table, int left, int right, out int rank, out int target)
    {
        if (table.TryGet(left, right, out MergeTarget t)) { rank = t.Rank; target = t.Id; }
        else { rank = int.MaxValue; target = -1; }
    }

    // Linked list + priority queue: O(n log n) for long runs (SentencePiece-style models see whole sentences).
    private static int MergeLarge(MergeTable table, Span<int> ids, Span<int> lengths)
    {
        int n = ids.Length;
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var queue = new PriorityQueue<(int Pos, int Target), long>(n);
        for (int i = 0; i < n - 1; i++)
            if (table.TryGet(ids[i], ids[i + 1], out MergeTarget t))
                queue.Enqueue((i, t.Id), ((long)t.Rank << 32) | (uint)i);

        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (ids[pos] < 0) continue;
            int right = next[pos];
            if (right < 0) continue;
            if (!table.TryGet(ids[pos], ids[right], out MergeTarget current) || current.Id != top.Target) continue;
            ids[pos] = current.Id;
            lengths[pos] += lengths[right];
            lengths[right] = 0;
            ids[right] = -1;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            int before = prev[pos];
            if (before >= 0 && table.TryGet(ids[before], ids[pos], out MergeTarget l))
                queue.Enqueue((before, l.Id), ((long)l.Rank << 32) | (uint)before);
            if (next[pos] >= 0 && table.TryGet(ids[pos], ids[next[pos]], out MergeTarget r))
                queue.Enqueue((pos, r.Id), ((long)r.Rank << 32) | (uint)pos);
        }

        int count = 0;
        for (int i = 0; i >= 0; i = next[i])
        {
            ids[count] = ids[i];
            lengths[count] = lengths[i];
            count++;
        }
        return count;
    }
}
