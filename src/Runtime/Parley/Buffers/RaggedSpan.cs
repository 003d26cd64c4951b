namespace Parley.Buffers;

/// <summary>
/// A read-only view of variable-length rows stored flat, Arrow-style: the values of every row back to back and
/// <c>Count + 1</c> cumulative offsets (row <c>i</c> is <c>Values[Offsets[i]..Offsets[i + 1]]</c>).
/// The shape every collator, labeller and packer reads, so stages pass plain memory, not each other's objects.
/// </summary>
/// <typeparam name="T">The element type (token ids are <see cref="int"/> or <see cref="long"/>).</typeparam>
/// <example><code>
/// int[] values = [1, 2, 3, 4, 5];
/// int[] offsets = [0, 3, 5];                       // rows [1, 2, 3] and [4, 5]
/// var rows = new RaggedSpan&lt;int&gt;(values, offsets);
/// ReadOnlySpan&lt;int&gt; second = rows[1];             // [4, 5]
/// </code></example>
public readonly ref struct RaggedSpan<T>
{
    /// <summary>Creates a view after checking that the offsets start at 0, never decrease and end inside <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The offsets are empty, do not start at 0, decrease, or point past the values.</exception>
    public RaggedSpan(ReadOnlySpan<T> values, ReadOnlySpan<int> offsets)
    {
        if (offsets.IsEmpty)
        {
            throw new ArgumentException("Offsets need Count + 1 entries (at least [0]); got none.", nameof(offsets));
        }
        if (offsets[0] != 0)
        {
            throw new ArgumentException($"Offsets must start at 0; offsets[0] is {offsets[0]}.", nameof(offsets));
        }
        for (int i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                throw new ArgumentException($"Offsets must never decrease; offsets[{i}] = {offsets[i]} < offsets[{i - 1}] = {offsets[i - 1]}.", nameof(offsets));
            }
        }
        if (offsets[^1] > values.Length)
        {
            throw new ArgumentException($"The last offset ({offsets[^1]}) points past the {values.Length} values.", nameof(offsets));
        }
        Values = values;
        Offsets = offsets;
    }

    /// <summary>All values, row after row.</summary>
    public ReadOnlySpan<T> Values { get; }

    /// <summary><c>Count + 1</c> cumulative offsets into <see cref="Values"/>.</summary>
    public ReadOnlySpan<int> Offsets { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Offsets.IsEmpty ? 0 : Offsets.Length - 1;

    /// <summary>Total number of values over all rows.</summary>
    public int TotalLength => Offsets.IsEmpty ? 0 : Offsets[^1];

    /// <summary>Row <paramref name="index"/>.</summary>
    public ReadOnlySpan<T> this[int index] => Values[Offsets[index]..Offsets[index + 1]];

    /// <summary>Length of row <paramref name="index"/>.</summary>
    public int LengthOf(int index) => Offsets[index + 1] - Offsets[index];

    /// <summary>Whether <paramref name="other"/> has exactly the same row lengths (labels and masks must align with ids).</summary>
    public bool HasSameShape<TOther>(RaggedSpan<TOther> other) => Offsets.SequenceEqual(other.Offsets);
}
