#if NET
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Parley.Formatting;

/// <summary>
/// Collects character ranges into a caller's span while a generated template formats (trainable or content ranges).
/// With merging, a range that starts where the previous one ended joins it, so an answer, its suffix and the
/// conversation end report as one. Used by generated code; shared here so each template does not carry a copy.
/// </summary>
/// <example><code>
/// var sink = new TemplateRangeSink(ranges, enabled: true, merge: true);
/// if (!sink.Add(start, end)) return false; // the span is full
/// </code></example>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct TemplateRangeSink
{
    private readonly Span<TextRange> _items;
    private readonly bool _enabled;
    private readonly bool _merge;

    /// <summary>A sink over <paramref name="items"/>; when not <paramref name="enabled"/>, every add succeeds and nothing is kept.</summary>
    public TemplateRangeSink(Span<TextRange> items, bool enabled, bool merge)
    {
        _items = items;
        _enabled = enabled;
        _merge = merge;
        Count = 0;
    }

    /// <summary>Ranges collected so far.</summary>
    public int Count { get; private set; }

    /// <summary>Adds [<paramref name="start"/>, <paramref name="end"/>); false when the span is full. Empty ranges are ignored.</summary>
    public bool Add(int start, int end)
    {
        if (!_enabled || end == start) return true;
        if (_merge && Count > 0 && _items[Count - 1].End == start)
        {
            _items[Count - 1] = TextRange.FromBounds(_items[Count - 1].Start, end);
            return true;
        }

        if (Count == _items.Length) return false;
        _items[Count++] = TextRange.FromBounds(start, end);
        return true;
    }
}

/// <summary>Appends text into a destination span for generated formatters. Used by generated code.</summary>
/// <example><code>if (!TemplateText.TryWrite("&lt;|user|&gt;\n", destination, ref position)) return false;</code></example>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TemplateText
{
    /// <summary>Copies <paramref name="value"/> at <paramref name="position"/> and advances it; false when it does not fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWrite(ReadOnlySpan<char> value, Span<char> destination, ref int position)
    {
        if (!value.TryCopyTo(destination.Slice(position))) return false;
        position += value.Length;
        return true;
    }
}
#endif
