namespace Parley;

/// <summary>A half-open range of characters <c>[Start, Start + Length)</c> in formatted text.</summary>
/// <example><code>string answer = text.Substring(range.Start, range.Length);</code></example>
public readonly struct TextRange : IEquatable<TextRange>
{
    /// <summary>Creates a range.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> or <paramref name="length"/> is negative.</exception>
    public TextRange(int start, int length)
    {
        if (start < 0) throw new ArgumentOutOfRangeException(nameof(start), start, "Start must not be negative.");
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "Length must not be negative.");
        Start = start;
        Length = length;
    }

    /// <summary>Index of the first character.</summary>
    public int Start { get; }

    /// <summary>Number of characters.</summary>
    public int Length { get; }

    /// <summary>Index one past the last character.</summary>
    public int End => Start + Length;

    /// <summary>Whether <paramref name="index"/> lies inside the range.</summary>
    public bool Contains(int index) => index >= Start && index < End;

    /// <summary>Creates the range <c>[start, end)</c>.</summary>
    public static TextRange FromBounds(int start, int end) => new(start, end - start);

#if NET
    /// <summary>The equivalent <see cref="System.Range"/>, for slicing: <c>text[range.ToRange()]</c>.</summary>
    public Range ToRange() => new(Start, End);
#endif

    /// <inheritdoc/>
    public bool Equals(TextRange other) => Start == other.Start && Length == other.Length;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TextRange other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (Start * 397) ^ Length;

    /// <summary>Compares two ranges.</summary>
    public static bool operator ==(TextRange left, TextRange right) => left.Equals(right);

    /// <summary>Compares two ranges.</summary>
    public static bool operator !=(TextRange left, TextRange right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"[{Start}..{End})";
}
