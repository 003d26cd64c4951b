#if NET

namespace Parley.Jinja;

/// <summary>
/// Follows the assistant messages' content strings through concatenation and trimming while a conversation is
/// formatted, so the output knows exactly where each answer lands (no text search). Active only inside
/// <see cref="JinjaFormatting.Format"/>, on the formatting thread.
/// </summary>
internal sealed class ContentTracker
{
    [ThreadStatic]
    private static ContentTracker? _current;

    // Content spans carried by a string instance (by reference): offset and length inside it.
    // Keyed by reference: equal text from elsewhere in the template is not the answer.
    private readonly Dictionary<string, List<(int Offset, int Length)>> _spans = new(ReferenceEqualityComparer.Instance);

    public static ContentTracker? Current => _current;

    public List<TextRange> Written { get; } = [];

    public static ContentTracker Begin() => _current = new ContentTracker();

    public static void End() => _current = null;

    public void Register(string content)
    {
        if (content.Length > 0) _spans[content] = [(0, content.Length)];
    }

    public bool TryGet(string text, out List<(int Offset, int Length)> spans) => _spans.TryGetValue(text, out spans!);

    /// <summary>Records that <paramref name="result"/> is <paramref name="left"/> followed by <paramref name="right"/>.</summary>
    public static void Concatenated(string left, string right, string result)
    {
        ContentTracker? tracker = _current;
        if (tracker is null) return;
        bool l = tracker._spans.TryGetValue(left, out var leftSpans), r = tracker._spans.TryGetValue(right, out var rightSpans);
        if (!l && !r) return;
        var spans = new List<(int, int)>();
        if (l) spans.AddRange(leftSpans!);
        if (r) spans.AddRange(rightSpans!.Select(s => (s.Offset + left.Length, s.Length)));
        tracker._spans[result] = spans;
    }

    /// <summary>Records that <paramref name="result"/> is <paramref name="source"/> cut to <c>[start, start + result.Length)</c>.</summary>
    public static void Cut(string source, string result, int start)
    {
        ContentTracker? tracker = _current;
        if (tracker is null || ReferenceEquals(source, result) || !tracker._spans.TryGetValue(source, out var sourceSpans)) return;
        var spans = new List<(int, int)>();
        foreach (var (offset, length) in sourceSpans)
        {
            int a = Math.Max(offset, start), b = Math.Min(offset + length, start + result.Length);
            if (b > a) spans.Add((a - start, b - a));
        }

        if (spans.Count > 0) tracker._spans[result] = spans;
    }

    /// <summary>Called when <paramref name="text"/> is written at <paramref name="position"/>.</summary>
    public static void Wrote(string text, int position)
    {
        ContentTracker? tracker = _current;
        if (tracker is null || !tracker._spans.TryGetValue(text, out var spans)) return;
        foreach (var (offset, length) in spans) tracker.Written.Add(new TextRange(position + offset, length));
    }
}
#endif
