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
    // The key is a struct with reference equality rather than a string with ReferenceEqualityComparer: the dictionary
    // then calls it without interface dispatch (every written value is looked up here).
    private readonly Dictionary<Ref, List<(int Offset, int Length, bool Trained)>> _spans = new();

    private readonly struct Ref : IEquatable<Ref>
    {
        private readonly string _text;

        public Ref(string text) => _text = text;

        public bool Equals(Ref other) => ReferenceEquals(_text, other._text);

        public override bool Equals(object? obj) => obj is Ref other && Equals(other);

        public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_text);
    }

    public static ContentTracker? Current => _current;

    public List<TextRange> Written { get; } = [];

    /// <summary>Where any message's content was written (trained or not): the text a tokenizer must not parse special tokens in.</summary>
    public List<TextRange> ContentWritten { get; } = [];

    // Span lists handed out since the last Reset, and lists free for reuse: a tracker is reused from one formatting
    // to the next on a thread (JinjaFormatState), so steady-state formatting allocates nothing here.
    private readonly List<List<(int Offset, int Length, bool Trained)>> _used = [];
    private readonly List<List<(int Offset, int Length, bool Trained)>> _free = [];

    /// <summary>Makes <paramref name="tracker"/> (emptied) the current thread's tracker.</summary>
    public static ContentTracker Begin(ContentTracker tracker)
    {
        tracker.Reset();
        return _current = tracker;
    }

    public static void End() => _current = null;

    /// <summary>Empties the lists and spans (the tracker is reused from one formatting to the next).</summary>
    internal void Reset()
    {
        _spans.Clear();
        Written.Clear();
        ContentWritten.Clear();
        foreach (var list in _used)
        {
            list.Clear();
            _free.Add(list);
        }

        _used.Clear();
    }

    private List<(int Offset, int Length, bool Trained)> NewSpans()
    {
        List<(int Offset, int Length, bool Trained)> list;
        if (_free.Count > 0)
        {
            list = _free[^1];
            _free.RemoveAt(_free.Count - 1);
        }
        else
        {
            list = new List<(int Offset, int Length, bool Trained)>(2);
        }

        _used.Add(list);
        return list;
    }

    /// <summary>
    /// Registers a message's content string; <paramref name="trained"/> for assistant messages. Tracking is by string
    /// instance, so when another message already registered this instance (an interned literal, one string used for a
    /// question and its answer) the message gets its own copy: returns the instance the template must see.
    /// </summary>
    public string Register(string content, bool trained)
    {
        if (content.Length == 0) return content;
        ref List<(int Offset, int Length, bool Trained)>? slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_spans, new Ref(content), out bool exists);
        if (exists)
        {
            content = new string(content.AsSpan());
            slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_spans, new Ref(content), out _);
        }

        var spans = NewSpans();
        spans.Add((0, content.Length, trained));
        slot = spans;
        return content;
    }

    public bool TryGet(string text, out List<(int Offset, int Length, bool Trained)> spans) => _spans.TryGetValue(new Ref(text), out spans!);

    /// <summary>Records that <paramref name="result"/> is <paramref name="left"/> followed by <paramref name="right"/>.</summary>
    public static void Concatenated(string left, string right, string result)
    {
        ContentTracker? tracker = _current;
        if (tracker is null) return;
        bool l = tracker._spans.TryGetValue(new Ref(left), out var leftSpans), r = tracker._spans.TryGetValue(new Ref(right), out var rightSpans);
        if (!l && !r) return;
        var spans = tracker.NewSpans();
        if (l) spans.AddRange(leftSpans!);
        if (r)
        {
            foreach (var (offset, length, trained) in rightSpans!) spans.Add((offset + left.Length, length, trained));
        }

        tracker._spans[new Ref(result)] = spans;
    }

    /// <summary>Records that <paramref name="result"/> is <paramref name="source"/> cut to <c>[start, start + result.Length)</c>.</summary>
    public static void Cut(string source, string result, int start)
    {
        ContentTracker? tracker = _current;
        if (tracker is null || ReferenceEquals(source, result) || !tracker._spans.TryGetValue(new Ref(source), out var sourceSpans)) return;
        var spans = tracker.NewSpans();
        foreach (var (offset, length, trained) in sourceSpans)
        {
            int a = Math.Max(offset, start), b = Math.Min(offset + length, start + result.Length);
            if (b > a) spans.Add((a - start, b - a, trained));
        }

        if (spans.Count > 0) tracker._spans[new Ref(result)] = spans;
    }

    /// <summary>Called when <paramref name="text"/> is written at <paramref name="position"/>.</summary>
    public static void Wrote(string text, int position)
    {
        ContentTracker? tracker = _current;
        if (tracker is null || !tracker._spans.TryGetValue(new Ref(text), out var spans)) return;
        foreach (var (offset, length, trained) in spans)
        {
            tracker.ContentWritten.Add(new TextRange(position + offset, length));
            if (trained) tracker.Written.Add(new TextRange(position + offset, length));
        }
    }
}
#endif
