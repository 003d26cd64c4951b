using System.Numerics;
using System.Runtime.InteropServices;

namespace Parley.Collation;

/// <summary>Copies token ids of any integer type into <see cref="long"/> buffers (vectorised for <see cref="int"/>).</summary>
internal static class Widen
{
    public static void Copy<T>(ReadOnlySpan<T> source, Span<long> destination) where T : unmanaged, IBinaryInteger<T>
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} values; {source.Length} are needed.", nameof(destination));
        }
        if (typeof(T) == typeof(long))
        {
            MemoryMarshal.Cast<T, long>(source).CopyTo(destination);
        }
        else if (typeof(T) == typeof(int))
        {
            CopyInt32(MemoryMarshal.Cast<T, int>(source), destination);
        }
        else
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = long.CreateTruncating(source[i]);
            }
        }
    }

    private static void CopyInt32(ReadOnlySpan<int> source, Span<long> destination)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<int>.Count)
        {
            int last = source.Length - Vector<int>.Count;
            for (; i <= last; i += Vector<int>.Count)
            {
                Vector.Widen(new Vector<int>(source[i..]), out Vector<long> low, out Vector<long> high);
                low.CopyTo(destination[i..]);
                high.CopyTo(destination[(i + Vector<long>.Count)..]);
            }
        }
        for (; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }
}
