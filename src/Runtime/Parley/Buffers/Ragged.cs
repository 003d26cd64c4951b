namespace Parley.Buffers;

/// <summary>
/// Variable-length rows owned as two arrays (values back to back, <c>Count + 1</c> offsets): what packers return and
/// what tests and loaders build. <see cref="AsSpan"/> gives the <see cref="RaggedSpan{T}"/> the collators read.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <example><code>
/// var rows = Ragged&lt;int&gt;.FromRows([[1, 2, 3], [4, 5]]);
/// Console.WriteLine(rows.Count);        // 2
/// Console.WriteLine(rows[1].Length);    // 2
/// </code></example>
public sealed class Ragged<T>
{
    private readonly T[] _values;
    private readonly int[] _offsets;

    /// <summary>Wraps arrays without copying; <paramref name="offsets"/> is checked as in <see cref="RaggedSpan{T}"/>.</summary>
    /// <exception cref="ArgumentException">The offsets are not valid for <paramref name="values"/>.</exception>
    public Ragged(T[] values, int[] offsets)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(offsets);
        _ = new RaggedSpan<T>(values, offsets); // validates
        _values = values;
        _offsets = offsets;
    }

    /// <summary>Copies jagged rows into flat storage.</summary>
    public static Ragged<T> FromRows(IReadOnlyList<T[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var offsets = new int[rows.Count + 1];
        for (int i = 0; i < rows.Count; i++)
        {
            offsets[i + 1] = checked(offsets[i] + rows[i].Length);
        }
        var values = new T[offsets[^1]];
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(values, offsets[i]);
        }
        return new Ragged<T>(values, offsets);
    }

    /// <summary>Number of rows.</summary>
    public int Count => _offsets.Length - 1;

    /// <summary>All values, row after row.</summary>
    public ReadOnlySpan<T> Values => _values.AsSpan(0, _offsets[^1]);

    /// <summary><c>Count + 1</c> cumulative offsets.</summary>
    public ReadOnlySpan<int> Offsets => _offsets;

    /// <summary>Row <paramref name="index"/>.</summary>
    public ReadOnlySpan<T> this[int index] => _values.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    /// <summary>The view collators, labellers and packers read.</summary>
    public RaggedSpan<T> AsSpan() => new(Values, _offsets);

    /// <summary>Copies the rows out as jagged arrays (for tests and small outputs).</summary>
    public T[][] ToRows()
    {
        var rows = new T[Count][];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = this[i].ToArray();
        }
        return rows;
    }
}
