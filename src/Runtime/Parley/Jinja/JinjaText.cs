#if NET
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Parley.Jinja;

/// <summary>
/// A string value of typed template code (the formatter a template gets when its variables are plain messages): a
/// slice of a string, of a message's content, or of the output's scratch text, so trimming and concatenation allocate
/// nothing and the output still knows where message content lands. The default value is Jinja's undefined.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct JinjaText
{
    internal const byte UndefinedKind = 0;
    internal const byte PlainKind = 1;
    internal const byte ContentKind = 2;
    internal const byte TrainedKind = 3;
    internal const byte ScratchKind = 4;

    internal readonly string? Source;
    internal readonly int Start;
    internal readonly int Length;
    internal readonly byte Kind;

    internal JinjaText(string? source, int start, int length, byte kind)
    {
        Source = source;
        Start = start;
        Length = length;
        Kind = kind;
    }

    /// <summary>A plain string (a literal, a role, a special token).</summary>
    public static JinjaText Of(string value) => new(value, 0, value.Length, PlainKind);

    /// <summary>A special token that may be absent: null is undefined.</summary>
    public static JinjaText OfOptional(string? value) => value is null ? default : new(value, 0, value.Length, PlainKind);

    /// <summary>A message's content: written, it is reported as content (and as trainable for an assistant message).</summary>
    public static JinjaText Content(in ChatMessage message)
    {
        string content = message.Content;
        if (content.Length == 0) return new JinjaText(content, 0, 0, PlainKind);
        return new JinjaText(content, 0, content.Length, message.Role == "assistant" ? TrainedKind : ContentKind);
    }

    /// <summary>The value, or the empty string when undefined (what <c>~</c> and <c>|string</c> make of undefined).</summary>
    public static JinjaText OrEmpty(in JinjaText text) => text.Kind == UndefinedKind ? new JinjaText("", 0, 0, PlainKind) : text;

    /// <summary>Whether this is Jinja's undefined.</summary>
    public bool IsUndefined => Kind == UndefinedKind;

    /// <summary>Python truthiness: defined and not empty.</summary>
    public bool IsTrue => Length > 0;
}

/// <summary>Helpers of typed template code: indexing and slicing messages, Python integer arithmetic, falling back.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaTyped
{
    /// <summary>
    /// Leaves typed code for the general renderer, which renders the same conversation from the start: typed code makes
    /// this call wherever the general semantics are needed (an error to raise, an index out of range, an undefined
    /// operand) and the result is then exactly what the general path gives.
    /// </summary>
    public static Exception Fallback() => new JinjaFallbackException();

    /// <summary><c>messages[index]</c> with Python's negative indexes.</summary>
    public static ChatMessage At(ReadOnlySpan<ChatMessage> messages, long index)
    {
        if (index < 0) index += messages.Length;
        if ((ulong)index >= (ulong)messages.Length) throw new JinjaFallbackException();
        return messages[(int)index];
    }

    /// <summary><c>messages[start:]</c> with Python's clamping.</summary>
    public static ReadOnlySpan<ChatMessage> SliceFrom(ReadOnlySpan<ChatMessage> messages, long start) =>
        Slice(messages, start, messages.Length);

    /// <summary><c>messages[:stop]</c> with Python's clamping.</summary>
    public static ReadOnlySpan<ChatMessage> SliceTo(ReadOnlySpan<ChatMessage> messages, long stop) => Slice(messages, 0, stop);

    /// <summary><c>messages[start:stop]</c> with Python's clamping.</summary>
    public static ReadOnlySpan<ChatMessage> Slice(ReadOnlySpan<ChatMessage> messages, long start, long stop)
    {
        int n = messages.Length;
        long a = start < 0 ? Math.Max(0, start + n) : Math.Min(start, n);
        long b = stop < 0 ? Math.Max(0, stop + n) : Math.Min(stop, n);
        return b <= a ? default : messages.Slice((int)a, (int)(b - a));
    }

    /// <summary><c>loop.previtem</c> of a loop over messages (undefined on the first pass: the general renderer decides).</summary>
    public static ChatMessage Previous(ReadOnlySpan<ChatMessage> messages, int index) =>
        index > 0 ? messages[index - 1] : throw new JinjaFallbackException();

    /// <summary><c>loop.nextitem</c> of a loop over messages (undefined on the last pass: the general renderer decides).</summary>
    public static ChatMessage Next(ReadOnlySpan<ChatMessage> messages, int index) =>
        index + 1 < messages.Length ? messages[index + 1] : throw new JinjaFallbackException();

    /// <summary>The length of <c>range(start, stop)</c>; past the sequence limit the general renderer raises it.</summary>
    public static int RangeCount(long start, long stop)
    {
        long count = Math.Max(0, stop - start);
        if (count > JinjaRenderScope.Limits.MaxSequenceLength) throw new JinjaFallbackException();
        return (int)count;
    }

    /// <summary>Python's <c>a % b</c> (the sign of the divisor).</summary>
    public static long Mod(long a, long b)
    {
        if (b == 0) throw new JinjaFallbackException();
        long r = a % b;
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    /// <summary>Python's <c>a // b</c> (rounded toward negative infinity).</summary>
    public static long FloorDivide(long a, long b)
    {
        if (b == 0) throw new JinjaFallbackException();
        long q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    /// <summary>HF's <c>strftime_now(format)</c> as a string.</summary>
    public static string StrftimeNow(JinjaArgs args) => JinjaRuntime.StrftimeNow(args).AsString;
}

/// <summary>Thrown by typed code to hand a rendering over to the general renderer (never reaches users).</summary>
internal sealed class JinjaFallbackException : Exception
{
    public JinjaFallbackException()
        : base("Typed template code handed the rendering to the general renderer.")
    {
    }
}

/// <content>Typed template code's writes, string operations and the scratch text they share.</content>
public sealed partial class JinjaOutput
{
    // Concatenations of typed code are built in one scratch buffer, reused from one rendering to the next; a value is an
    // offset and a length in it. Where message content was copied into it is kept as marks (sorted, disjoint), so
    // writing a concatenation still reports where the content lands.
    private char[] _scratch = [];
    private int _scratchLength;
    private readonly List<ContentMark> _marks = [];
    private ContentTracker? _tracker;

    private readonly record struct ContentMark(int Start, int Length, bool Trained)
    {
        public int End => Start + Length;
    }

    // The rendering's limits, read once per rendering (typed code reaches them through the output, not the thread).
    // Typed code never needs more scratch than MaxScratch: beyond it, the general renderer takes over with its own limits.
    private int _maxSequence = JinjaLimits.Default.MaxSequenceLength;
    private int MaxScratch => Math.Max(1 << 16, _maxLength);
    private long _iterationsLeft = JinjaLimits.Default.MaxIterations;

    /// <summary>Where content writes of typed code are recorded (the conversation's tracker).</summary>
    internal void RecordContentIn(ContentTracker? tracker) => _tracker = tracker;

    private void ResetScratch(JinjaLimits limits)
    {
        _maxSequence = limits.MaxSequenceLength;
        _iterationsLeft = limits.MaxIterations;
        _scratchLength = 0;
        _marks.Clear();
        _tracker = null;
    }

    /// <summary>Counts one pass of a typed loop over a range against the iteration budget (past it, the general renderer raises the limit).</summary>
    public void CountIteration()
    {
        if (--_iterationsLeft < 0) throw new JinjaFallbackException();
    }

    /// <summary>Writes a typed value: a content slice is reported where it lands.</summary>
    public void Write(in JinjaText text)
    {
        if (text.Length == 0) return;
        int at = _length;
        if (at + text.Length > _maxLength) throw JinjaRenderScope.OutputExceeded(_maxLength);
        if (text.Kind == JinjaText.ScratchKind)
        {
            Append(_scratch.AsSpan(text.Start, text.Length));
            if (_marks.Count > 0) RecordScratchContent(text.Start, text.Length, at);
            return;
        }

        Append(text.Source.AsSpan(text.Start, text.Length));
        if (text.Kind >= JinjaText.ContentKind) RecordContent(at, text.Length, text.Kind == JinjaText.TrainedKind);
    }

    /// <summary>Writes an operand of <c>+</c>: undefined raises in Jinja, so it goes to the general renderer.</summary>
    public void WriteDefined(in JinjaText text)
    {
        if (text.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        Write(in text);
    }

    /// <summary>Writes an integer as Python's <c>str()</c>.</summary>
    public void Write(long value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        if (_length + n > _maxLength) throw JinjaRenderScope.OutputExceeded(_maxLength);
        Append(digits.Slice(0, n));
    }

    private void RecordContent(int at, int length, bool trained)
    {
        ContentTracker? tracker = _tracker;
        if (tracker is null) return;
        tracker.ContentWritten.Add(new TextRange(at, length));
        if (trained) tracker.Written.Add(new TextRange(at, length));
    }

    private void RecordScratchContent(int start, int length, int at)
    {
        int end = start + length;
        // The first mark ending after `start` (marks are sorted and disjoint, so their ends are sorted too).
        int lo = 0, hi = _marks.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_marks[mid].End <= start) lo = mid + 1;
            else hi = mid;
        }

        for (int i = lo; i < _marks.Count && _marks[i].Start < end; i++)
        {
            ContentMark mark = _marks[i];
            int a = Math.Max(mark.Start, start), b = Math.Min(mark.End, end);
            if (b > a) RecordContent(at + (a - start), b - a, mark.Trained);
        }
    }

    /// <summary>The characters of a typed value.</summary>
    internal ReadOnlySpan<char> Chars(in JinjaText text) =>
        text.Kind == JinjaText.ScratchKind ? _scratch.AsSpan(text.Start, text.Length) : text.Source.AsSpan(text.Start, text.Length);

    /// <summary><c>a + b</c> of strings.</summary>
    public JinjaText Concat(in JinjaText a, in JinjaText b)
    {
        int start = _scratchLength;
        AppendToScratch(in a);
        AppendToScratch(in b);
        return Scratch(start);
    }

    /// <summary><c>a + b + c</c> of strings.</summary>
    public JinjaText Concat(in JinjaText a, in JinjaText b, in JinjaText c)
    {
        int start = _scratchLength;
        AppendToScratch(in a);
        AppendToScratch(in b);
        AppendToScratch(in c);
        return Scratch(start);
    }

    /// <summary><c>a + b + c + d</c> of strings.</summary>
    public JinjaText Concat(in JinjaText a, in JinjaText b, in JinjaText c, in JinjaText d)
    {
        int start = _scratchLength;
        AppendToScratch(in a);
        AppendToScratch(in b);
        AppendToScratch(in c);
        AppendToScratch(in d);
        return Scratch(start);
    }

    /// <summary><c>a + b + c + d + e</c> of strings.</summary>
    public JinjaText Concat(in JinjaText a, in JinjaText b, in JinjaText c, in JinjaText d, in JinjaText e)
    {
        int start = _scratchLength;
        AppendToScratch(in a);
        AppendToScratch(in b);
        AppendToScratch(in c);
        AppendToScratch(in d);
        AppendToScratch(in e);
        return Scratch(start);
    }

    /// <summary><c>a + b + c + d + e + f</c> of strings.</summary>
    public JinjaText Concat(in JinjaText a, in JinjaText b, in JinjaText c, in JinjaText d, in JinjaText e, in JinjaText f)
    {
        int start = _scratchLength;
        AppendToScratch(in a);
        AppendToScratch(in b);
        AppendToScratch(in c);
        AppendToScratch(in d);
        AppendToScratch(in e);
        AppendToScratch(in f);
        return Scratch(start);
    }

    /// <summary>An integer as text (Python's <c>str()</c>), for <c>~</c>.</summary>
    public JinjaText Text(long value)
    {
        int start = _scratchLength;
        EnsureScratch(20);
        value.TryFormat(_scratch.AsSpan(_scratchLength), out int n, default, CultureInfo.InvariantCulture);
        _scratchLength += n;
        return Scratch(start);
    }

    private JinjaText Scratch(int start)
    {
        int length = _scratchLength - start;
        if (length == 0) return new JinjaText("", 0, 0, JinjaText.PlainKind);
        // The general renderer raises past the sequence limit (with the template position): let it.
        if (length > _maxSequence) throw new JinjaFallbackException();
        return new JinjaText(null, start, length, JinjaText.ScratchKind);
    }

    private void EnsureScratch(int more)
    {
        int needed = _scratchLength + more;
        if (needed <= _scratch.Length) return;
        if (needed > MaxScratch) throw new JinjaFallbackException();
        Array.Resize(ref _scratch, Math.Max(needed, Math.Min(MaxScratch, Math.Max(256, _scratch.Length * 2))));
    }

    // `+` with an undefined operand raises in Jinja, so undefined hands over to the general renderer; `~` operands come
    // here already made empty by JinjaText.OrEmpty.
    private void AppendToScratch(in JinjaText text)
    {
        if (text.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        if (text.Length == 0) return;
        EnsureScratch(text.Length);
        int at = _scratchLength;
        if (text.Kind == JinjaText.ScratchKind)
        {
            _scratch.AsSpan(text.Start, text.Length).CopyTo(_scratch.AsSpan(at));
            int count = _marks.Count;
            int end = text.Start + text.Length;
            for (int i = 0; i < count; i++)
            {
                ContentMark mark = _marks[i];
                if (mark.End <= text.Start) continue;
                if (mark.Start >= end) break;
                int a = Math.Max(mark.Start, text.Start), b = Math.Min(mark.End, end);
                _marks.Add(new ContentMark(at + (a - text.Start), b - a, mark.Trained));
            }
        }
        else
        {
            text.Source.AsSpan(text.Start, text.Length).CopyTo(_scratch.AsSpan(at));
            if (text.Kind >= JinjaText.ContentKind) _marks.Add(new ContentMark(at, text.Length, text.Kind == JinjaText.TrainedKind));
        }

        _scratchLength = at + text.Length;
    }

    /// <summary>Python's <c>a == b</c> of strings (undefined compares by the general rules).</summary>
    public bool Equal(in JinjaText a, in JinjaText b)
    {
        if (a.Kind == JinjaText.UndefinedKind || b.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        return Chars(in a).SequenceEqual(Chars(in b));
    }

    /// <summary>Python's <c>a == 'literal'</c>.</summary>
    public bool Equal(in JinjaText a, string b)
    {
        // Jinja's undefined equals nothing but undefined.
        if (a.Kind == JinjaText.UndefinedKind) return false;
        return Chars(in a).SequenceEqual(b);
    }

    /// <summary>Python's <c>needle in haystack</c> of strings; undefined holds nothing (Jinja iterates it as empty).</summary>
    public bool Contains(in JinjaText haystack, in JinjaText needle)
    {
        if (needle.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        if (haystack.Kind == JinjaText.UndefinedKind) return false;
        return Chars(in haystack).IndexOf(Chars(in needle)) >= 0;
    }

    /// <summary><c>s.startswith(prefix)</c>.</summary>
    public bool StartsWith(in JinjaText text, string prefix)
    {
        if (text.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        return Chars(in text).StartsWith(prefix);
    }

    /// <summary><c>s.endswith(suffix)</c>.</summary>
    public bool EndsWith(in JinjaText text, string suffix)
    {
        if (text.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        return Chars(in text).EndsWith(suffix);
    }

    /// <summary>
    /// The <c>trim</c> filter (an undefined value is empty) or, with <paramref name="method"/>, <c>s.strip()</c>,
    /// <c>s.lstrip()</c>, <c>s.rstrip()</c> (undefined raises): Python's whitespace, or the characters of
    /// <paramref name="chars"/> when given. The result is a slice of the same text, so content stays tracked.
    /// </summary>
    public JinjaText Strip(in JinjaText text, string? chars, bool left, bool right, bool method)
    {
        if (text.Kind == JinjaText.UndefinedKind)
        {
            if (method) throw new JinjaFallbackException();
            return new JinjaText("", 0, 0, JinjaText.PlainKind);
        }

        ReadOnlySpan<char> s = Chars(in text);
        int a = 0, b = s.Length;
        if (left)
        {
            while (a < b && Strips(s[a], chars)) a++;
        }

        if (right)
        {
            while (b > a && Strips(s[b - 1], chars)) b--;
        }

        if (a == 0 && b == s.Length) return text;
        return b > a ? new JinjaText(text.Source, text.Start + a, b - a, text.Kind) : new JinjaText("", 0, 0, JinjaText.PlainKind);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Strips(char c, string? chars) => chars is null ? StringMethods.IsPyWhite(c) : chars.Contains(c);

    /// <summary>
    /// <c>s.replace(old, new)</c>: the same text when <paramref name="old"/> does not occur (content stays tracked, as
    /// in the general renderer); otherwise new scratch text, no longer content.
    /// </summary>
    public JinjaText Replace(in JinjaText text, string old, string replacement)
    {
        if (text.Kind == JinjaText.UndefinedKind || old.Length == 0) throw new JinjaFallbackException();
        ReadOnlySpan<char> s = Chars(in text);
        int found = s.IndexOf(old);
        if (found < 0) return text;
        int start = _scratchLength;
        int from = 0;
        while (found >= 0)
        {
            AppendScratch(s.Slice(from, found));
            AppendScratch(replacement);
            from += found + old.Length;
            // `s` may point into the scratch buffer, which AppendScratch can move: take the span again.
            s = Chars(in text);
            found = s.Slice(from).IndexOf(old);
        }

        AppendScratch(s.Slice(from));
        return Scratch(start);
    }

    /// <summary>
    /// <c>s.split(separator)[index]</c> (negative indexes from the end). The part is a new string in the general
    /// renderer, so it is no longer content here either.
    /// </summary>
    public JinjaText SplitPart(in JinjaText text, string separator, long index)
    {
        if (text.Kind == JinjaText.UndefinedKind || separator.Length == 0) throw new JinjaFallbackException();
        ReadOnlySpan<char> s = Chars(in text);
        int parts = 1;
        for (int at = s.IndexOf(separator); at >= 0; at = NextIndex(s, separator, at)) parts++;
        if (index < 0) index += parts;
        if (index < 0 || index >= parts) throw new JinjaFallbackException();
        int from = 0;
        for (long k = 0; k < index; k++) from += s.Slice(from).IndexOf(separator) + separator.Length;
        int length = s.Slice(from).IndexOf(separator);
        if (length < 0) length = s.Length - from;
        return Untracked(in text, from, length);
    }

    private static int NextIndex(ReadOnlySpan<char> s, string separator, int at)
    {
        int next = s.Slice(at + separator.Length).IndexOf(separator);
        return next < 0 ? -1 : at + separator.Length + next;
    }

    // A part of `text` that the general renderer would hold as a new string (so not content): a plain slice of a
    // string, or a copy in the scratch buffer without marks.
    private JinjaText Untracked(in JinjaText text, int from, int length)
    {
        if (length == 0) return new JinjaText("", 0, 0, JinjaText.PlainKind);
        if (text.Kind != JinjaText.ScratchKind) return new JinjaText(text.Source, text.Start + from, length, JinjaText.PlainKind);
        int start = _scratchLength;
        EnsureScratch(length);
        _scratch.AsSpan(text.Start + from, length).CopyTo(_scratch.AsSpan(start));
        _scratchLength += length;
        return Scratch(start);
    }

    /// <summary>
    /// <c>upper</c> (0), <c>lower</c> (1), <c>title</c> (2) or <c>capitalize</c> (3) of a plain string as a filter or,
    /// with <paramref name="method"/>, a method. ASCII text only: other text (whose case mapping Python does by its own
    /// tables) and message content go to the general renderer.
    /// </summary>
    public JinjaText ChangeCase(in JinjaText text, int mode, bool method)
    {
        if (text.Kind == JinjaText.UndefinedKind)
        {
            if (method) throw new JinjaFallbackException();
            return new JinjaText("", 0, 0, JinjaText.PlainKind);
        }

        if (text.Kind != JinjaText.PlainKind) throw new JinjaFallbackException();
        ReadOnlySpan<char> s = Chars(in text);
        if (!System.Text.Ascii.IsValid(s)) throw new JinjaFallbackException();
        int start = _scratchLength;
        EnsureScratch(s.Length);
        Span<char> target = _scratch.AsSpan(start, s.Length);
        bool previousCased = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            bool cased = char.IsAsciiLetter(c);
            bool upper = mode switch
            {
                0 => true,
                1 => false,
                2 => !previousCased,
                _ => i == 0,
            };
            target[i] = cased ? (upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)) : c;
            previousCased = cased;
        }

        _scratchLength += s.Length;
        return Scratch(start);
    }

    /// <summary>
    /// <c>s | tojson</c> of a string: the JSON string literal Python's <c>json.dumps(s, ensure_ascii=False)</c> writes.
    /// A new string in the general renderer, so no longer content.
    /// </summary>
    public JinjaText JsonString(in JinjaText text)
    {
        if (text.Kind == JinjaText.UndefinedKind) throw new JinjaFallbackException();
        int start = _scratchLength;
        AppendScratch("\"");
        ReadOnlySpan<char> s = Chars(in text);
        int from = 0;
        Span<char> unicode = stackalloc char[6];
        "\\u00".AsSpan().CopyTo(unicode);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            string? escaped = c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                _ => null,
            };
            if (escaped is null && c >= 0x20) continue;
            AppendScratch(s.Slice(from, i - from));
            if (escaped is not null)
            {
                AppendScratch(escaped);
            }
            else
            {
                unicode[4] = "0123456789abcdef"[c >> 4];
                unicode[5] = "0123456789abcdef"[c & 15];
                AppendScratch(unicode);
            }

            s = Chars(in text);
            from = i + 1;
        }

        AppendScratch(s.Slice(from));
        AppendScratch("\"");
        return Scratch(start);
    }

    private void AppendScratch(ReadOnlySpan<char> chars)
    {
        if (chars.Length == 0) return;
        if (_scratchLength + chars.Length > _scratch.Length)
        {
            // Copy out first: `chars` may be a slice of the buffer being replaced.
            char[] copy = chars.ToArray();
            EnsureScratch(copy.Length);
            chars = copy;
        }

        chars.CopyTo(_scratch.AsSpan(_scratchLength));
        _scratchLength += chars.Length;
    }
}
#endif
