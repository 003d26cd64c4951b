#if NET
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

namespace Parley.Jinja;

/// <summary>Arguments of a call, filter or test: positional values, then named ones.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct JinjaArgs
{
    private static readonly JinjaValue[] NoValues = [];
    private static readonly string[] NoNames = [];

    /// <summary>Creates arguments.</summary>
    public JinjaArgs(JinjaValue[]? positional, string[]? names = null, JinjaValue[]? named = null)
    {
        Positional = positional ?? NoValues;
        Names = names ?? NoNames;
        Named = named ?? NoValues;
    }

    /// <summary>No arguments.</summary>
    public static JinjaArgs Empty => new(null);

    /// <summary>Positional values.</summary>
    public JinjaValue[] Positional { get; }

    /// <summary>Names of the named values.</summary>
    public string[] Names { get; }

    /// <summary>Named values.</summary>
    public JinjaValue[] Named { get; }

    /// <summary>Arguments with <c>*splat</c> appended to the positional values and <c>**kwargs</c> merged.</summary>
    public static JinjaArgs Spread(JinjaValue[] positional, string[] names, JinjaValue[] named, JinjaValue splat, JinjaValue keywordSplat)
    {
        var p = new List<JinjaValue>(positional);
        if (!splat.IsUndefined) p.AddRange(JinjaRuntime.Iterate(splat));
        var n = new List<string>(names);
        var v = new List<JinjaValue>(named);
        if (keywordSplat.Kind == JinjaKind.Dict)
        {
            foreach (KeyValuePair<JinjaValue, JinjaValue> pair in keywordSplat.AsDict)
            {
                n.Add(pair.Key.ToString());
                v.Add(pair.Value);
            }
        }

        return new JinjaArgs(p.ToArray(), n.ToArray(), v.ToArray());
    }

    /// <summary>Number of positional values.</summary>
    public int Count => Positional.Length;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>.</summary>
    public bool TryGet(int index, string name, out JinjaValue value)
    {
        for (int i = 0; i < Names.Length; i++)
        {
            if (Names[i] == name)
            {
                value = Named[i];
                return true;
            }
        }

        if (index >= 0 && index < Positional.Length)
        {
            value = Positional[index];
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The argument, or <paramref name="fallback"/>.</summary>
    public JinjaValue Get(int index, string name, JinjaValue fallback = default) => TryGet(index, name, out JinjaValue v) ? v : fallback;

    /// <summary>The named argument, or undefined.</summary>
    public JinjaValue GetNamed(string name) => TryGet(-1, name, out JinjaValue v) ? v : default;
}

/// <summary>The text a template writes, with the trainable ranges of <c>{% generation %}</c> blocks.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class JinjaOutput
{
    // A plain array rather than a StringBuilder: appends are one bounds check and a copy, and looking back at what was
    // written (HasAt, CopyTo) is a span operation instead of a walk over chunks.
    private char[] _chars = new char[64];
    private int _length;
    private StringBuilder? _repr;
    private readonly List<TextRange> _generation = new();
    private int _generationStart = -1;
    private int _depth;
    private int _maxLength = JinjaRenderScope.Limits.MaxOutputLength;

    /// <summary>Whether this is the top-level output of a formatted conversation, which records where answers land.</summary>
    internal bool TracksContent { get; set; }

    /// <summary>Characters written so far.</summary>
    public int Length => _length;

    /// <summary>The characters the output and its scratch text hold room for (what keeping it for reuse pins).</summary>
    internal int Capacity => _chars.Length + _scratch.Length;

    /// <summary>Ranges written inside generation blocks.</summary>
    public IReadOnlyList<TextRange> GenerationRanges => _generation;

    /// <summary>Whether a generation block was entered.</summary>
    public bool HasGeneration { get; private set; }

    /// <summary>Writes text.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Write(string text)
    {
        if (_length + text.Length > _maxLength) throw JinjaRenderScope.OutputExceeded(_maxLength);
        Append(text);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Append(ReadOnlySpan<char> text)
    {
        if (text.Length > _chars.Length - _length) Grow(text.Length);
        text.CopyTo(_chars.AsSpan(_length));
        _length += text.Length;
    }

    // Doubling, but never past the output limit (a write beyond it throws before it gets here).
    private void Grow(int more) => Array.Resize(ref _chars, Math.Max(_length + more, (int)Math.Min(_chars.Length * 2L, Math.Max(_maxLength, 64))));

    /// <summary>Whether <paramref name="value"/> was written at <paramref name="index"/>, ending at or before <paramref name="limit"/>.</summary>
    internal bool HasAt(int index, string value, int limit)
    {
        if (index < 0 || index + value.Length > Math.Min(limit, _length)) return false;
        return _chars.AsSpan(index, value.Length).SequenceEqual(value);
    }

    /// <summary>The character written at <paramref name="index"/>.</summary>
    internal char CharAt(int index) => _chars[index];

    /// <summary>Writes a value as Python's <c>str()</c>.</summary>
    public void Write(JinjaValue value)
    {
        switch (value.Kind)
        {
            case JinjaKind.Undefined: break;
            case JinjaKind.String:
                if (_length + value.AsString.Length > _maxLength) throw JinjaRenderScope.OutputExceeded(_maxLength);
                if (TracksContent) ContentTracker.Wrote(value.AsString, _length);
                Append(value.AsString);
                break;
            default:
                StringBuilder repr = _repr ??= new StringBuilder();
                repr.Clear();
                value.AppendRepr(repr);
                if (_length + repr.Length > _maxLength) throw JinjaRenderScope.OutputExceeded(_maxLength);
                foreach (ReadOnlyMemory<char> chunk in repr.GetChunks()) Append(chunk.Span);
                break;
        }
    }

    /// <summary>Enters a generation block.</summary>
    public void BeginGeneration()
    {
        HasGeneration = true;
        if (_depth++ == 0) _generationStart = _length;
    }

    /// <summary>Leaves a generation block.</summary>
    public void EndGeneration()
    {
        if (--_depth == 0 && _length > _generationStart)
        {
            _generation.Add(TextRange.FromBounds(_generationStart, _length));
        }
    }

    /// <summary>Empties the output, keeping its storage (outputs are reused from one rendering to the next).</summary>
    internal void Reset(bool tracksContent) => Reset(tracksContent, JinjaRenderScope.Limits);

    /// <summary>Empties the output for a rendering under <paramref name="limits"/>.</summary>
    internal void Reset(bool tracksContent, JinjaLimits limits)
    {
        _length = 0;
        _generation.Clear();
        _generationStart = -1;
        _depth = 0;
        HasGeneration = false;
        TracksContent = tracksContent;
        ResetScratch(limits);
        _maxLength = limits.MaxOutputLength;
    }

    /// <summary>The characters written, <c>[start, start + destination.Length)</c>, copied into <paramref name="destination"/>.</summary>
    internal void CopyTo(int start, Span<char> destination) => _chars.AsSpan(start, destination.Length).CopyTo(destination);

    /// <summary>The characters written, as a string.</summary>
    internal string ToString(int start, int length) => new(_chars, start, length);

    /// <inheritdoc/>
    public override string ToString() => new(_chars, 0, _length);
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class JinjaLoop : IJinjaObject
{
    private readonly List<JinjaValue> _items;

    /// <summary>Creates the loop object over the items.</summary>
    public JinjaLoop(List<JinjaValue> items) => _items = items;

    /// <summary>Zero-based index of the current iteration.</summary>
    public int Index0 { get; set; }

    /// <inheritdoc/>
    public JinjaValue GetAttribute(string name) => name switch
    {
        "index" => JinjaValue.FromInt(Index0 + 1),
        "index0" => JinjaValue.FromInt(Index0),
        "revindex" => JinjaValue.FromInt(_items.Count - Index0),
        "revindex0" => JinjaValue.FromInt(_items.Count - Index0 - 1),
        "first" => JinjaValue.FromBool(Index0 == 0),
        "last" => JinjaValue.FromBool(Index0 == _items.Count - 1),
        "length" => JinjaValue.FromInt(_items.Count),
        "depth" => JinjaValue.FromInt(1),
        "depth0" => JinjaValue.FromInt(0),
        "previtem" => Index0 > 0 ? _items[Index0 - 1] : default,
        "nextitem" => Index0 + 1 < _items.Count ? _items[Index0 + 1] : default,
        "cycle" => JinjaValue.FromCallable(args => args.Count == 0 ? default : args.Positional[Index0 % args.Count]),
        "changed" => JinjaValue.FromCallable(Changed),
        _ => default,
    };

    private JinjaValue? _last;

    private JinjaValue Changed(JinjaArgs args)
    {
        JinjaValue current = JinjaValue.FromTuple([.. args.Positional]);
        bool changed = _last is null || !_last.Value.Equals(current);
        _last = current;
        return JinjaValue.FromBool(changed);
    }
}

/// <summary>The variables a template renders with.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class JinjaContext
{
    // A template reads a handful of variables, each once at the top of its render method, by literal names that are
    // the same interned strings JinjaFormatState.SetMessages stores: a short list compared by reference first beats hashing the names.
    // Past 16 variables (a large JSON variable model) a dictionary takes over.
    private const int IndexThreshold = 16;
    private readonly List<KeyValuePair<string, JinjaValue>> _variables = new();
    private Dictionary<string, int>? _index;

    private int IndexOf(string name)
    {
        if (_index is not null) return _index.TryGetValue(name, out int found) ? found : -1;
        List<KeyValuePair<string, JinjaValue>> variables = _variables;
        for (int i = 0; i < variables.Count; i++)
        {
            string key = variables[i].Key;
            if (ReferenceEquals(key, name) || string.Equals(key, name, StringComparison.Ordinal)) return i;
        }

        return -1;
    }

    /// <summary>A variable, or undefined.</summary>
    public JinjaValue Get(string name)
    {
        int i = IndexOf(name);
        return i >= 0 ? _variables[i].Value : default;
    }

    /// <summary>A variable, or the global function when no variable has the name.</summary>
    public JinjaValue GetOr(string name, JinjaCallable function)
    {
        int i = IndexOf(name);
        return i >= 0 ? _variables[i].Value : JinjaValue.FromCallable(function);
    }

    /// <summary>Sets a variable.</summary>
    public void Set(string name, JinjaValue value)
    {
        int i = IndexOf(name);
        if (i >= 0)
        {
            _variables[i] = new KeyValuePair<string, JinjaValue>(name, value);
            return;
        }

        _variables.Add(new KeyValuePair<string, JinjaValue>(name, value));
        if (_index is not null)
        {
            _index[name] = _variables.Count - 1;
        }
        else if (_variables.Count > IndexThreshold)
        {
            _index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int k = 0; k < _variables.Count; k++) _index[_variables[k].Key] = k;
        }
    }

    /// <summary>Whether a variable is set.</summary>
    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>Removes every variable (contexts are reused from one rendering to the next).</summary>
    internal void Clear()
    {
        _variables.Clear();
        _index = null;
    }

    /// <summary>The variables of a JSON object (messages, tools, flags …).</summary>
    public static JinjaContext FromJson(System.Text.Json.JsonElement variables)
    {
        var context = new JinjaContext();
        context.SetJson(variables);
        return context;
    }

    internal void SetJson(System.Text.Json.JsonElement variables)
    {
        JinjaContext context = this;
        if (variables.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (System.Text.Json.JsonProperty property in variables.EnumerateObject())
            {
                context.Set(property.Name, JinjaJson.FromJson(property.Value));
            }
        }
    }

}
/// <summary>A compiled template's render method.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void JinjaRenderer(JinjaContext context, JinjaOutput output);

/// <summary>
/// A template's typed formatter for plain conversations (emitted beside <see cref="JinjaRenderer"/> when the template
/// allows it): reads the messages span directly and writes into <paramref name="output"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void JinjaMessageRenderer(ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt, JinjaText bos, JinjaText eos, JinjaOutput output);

/// <summary>Formatted text and its trainable ranges.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct JinjaFormatted
{
    /// <summary>Creates the result.</summary>
    public JinjaFormatted(string text, TextRange[] trainable, TextRange[] content)
    {
        Text = text;
        Trainable = trainable;
        Content = content;
    }

    /// <summary>The text.</summary>
    public string Text { get; }

    /// <summary>The trainable ranges.</summary>
    public TextRange[] Trainable { get; }

    /// <summary>Where message content was written, in output order (merged where ranges touch or overlap).</summary>
    public TextRange[] Content { get; }
}

/// <summary>
/// The objects one rendering needs — output buffer, variables, message dicts, content tracker, range lists — kept per
/// thread and reused, so formatting a conversation allocates nothing once a thread has formatted one of its size.
/// </summary>
internal sealed class JinjaFormatState
{
    // Outputs above this many characters are not kept: one huge conversation should not pin its buffer for good.
    private const int MaxKeptLength = 1 << 20;

    [ThreadStatic]
    private static JinjaFormatState? _cached;

    private readonly List<JinjaDict> _messageDicts = [];
    private readonly List<JinjaValue> _messages = [];

    public JinjaOutput Output { get; } = new();

    public JinjaContext Context { get; } = new();

    public ContentTracker Tracker { get; } = new();

    public List<TextRange> Trainable { get; } = [];

    public List<TextRange> Content { get; } = [];

    /// <summary>Takes the thread's state (a nested rendering on the same thread gets a fresh one).</summary>
    public static JinjaFormatState Rent()
    {
        JinjaFormatState? state = _cached;
        _cached = null;
        return state ?? new JinjaFormatState();
    }

    /// <summary>Gives the state back for the thread's next rendering.</summary>
    public static void Return(JinjaFormatState state)
    {
        // By the buffers' capacity, not this rendering's length: a huge conversation earlier on the thread grew them.
        if (state.Output.Capacity <= MaxKeptLength) _cached = state;
    }

    /// <summary>
    /// Sets the variables of a plain conversation (<c>messages</c>, <c>add_generation_prompt</c>, special tokens) into the
    /// reused context: the message list and its dicts are this state's, refilled.
    /// </summary>
    public void SetMessages(ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        Context.Clear();
        _messages.Clear();
        for (int i = 0; i < messages.Length; i++)
        {
            if (i == _messageDicts.Count) _messageDicts.Add(new JinjaDict(2));
            JinjaDict dict = _messageDicts[i];
            // The tracker may hand back a copy: one string instance shared by two messages must be told apart.
            string content = ContentTracker.Current?.Register(messages[i].Content, trained: messages[i].Role == "assistant") ?? messages[i].Content;
            dict.SetMessage(messages[i].Role, content);
            _messages.Add(JinjaValue.FromDict(dict));
        }

        Context.Set("messages", JinjaValue.FromList(_messages));
        Context.Set("add_generation_prompt", JinjaValue.FromBool(addGenerationPrompt));
        if (bos is not null) Context.Set("bos_token", JinjaValue.FromString(bos));
        if (eos is not null) Context.Set("eos_token", JinjaValue.FromString(eos));
    }
}

/// <summary>The <c>Format</c>/<c>TryFormat</c> surface of compiled Jinja templates.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaFormatting
{
    /// <summary>Renders a plain conversation as HF's <c>apply_chat_template</c> does, with the trainable ranges.</summary>
    /// <remarks>
    /// Trainable ranges are the template's <c>{% generation %}</c> blocks; a template without them trains the
    /// content of each assistant message where the output holds it (messages are located in order), plus the
    /// end-of-turn token (<c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, <c>&lt;end_of_turn&gt;</c>, the EOS …) the
    /// template writes right after it.
    /// </remarks>
    public static JinjaFormatted Format(JinjaRenderer render, ReadOnlySpan<ChatMessage> messages, in FormatOptions options, string? bos, string? eos, string name, JinjaRenderOptions? renderOptions = null, JinjaMessageRenderer? typed = null)
    {
        JinjaFormatState state = JinjaFormatState.Rent();
        try
        {
            int length = RenderConversation(state, render, typed, messages, in options, bos, eos, name, renderOptions, out string? text);
            string formatted = text ?? state.Output.ToString(0, length);
            text = formatted;
            ComputeRanges(state, messages, length, eos, ref text);
            return new JinjaFormatted(formatted, [.. state.Trainable], [.. state.Content]);
        }
        finally
        {
            JinjaFormatState.Return(state);
        }
    }

    /// <summary>
    /// Renders a plain conversation straight into <paramref name="destination"/> (through the thread's reused output
    /// buffer: no allocation in steady state) with the trainable ranges and, when <paramref name="collectContent"/>,
    /// where message content was written. False when a span is too small.
    /// </summary>
    public static bool TryFormat(JinjaRenderer render, ReadOnlySpan<ChatMessage> messages, in FormatOptions options, string? bos, string? eos, string name,
        Span<char> destination, out int charsWritten, Span<TextRange> trainable, bool collectTrainable, out int trainableCount, Span<TextRange> content, bool collectContent, out int contentCount, JinjaRenderOptions? renderOptions = null, JinjaMessageRenderer? typed = null)
    {
        charsWritten = 0;
        trainableCount = 0;
        contentCount = 0;
        JinjaFormatState state = JinjaFormatState.Rent();
        try
        {
            int length = RenderConversation(state, render, typed, messages, in options, bos, eos, name, renderOptions, out string? text);
            if (length > destination.Length) return false;
            if (collectTrainable || collectContent) ComputeRanges(state, messages, length, eos, ref text);
            if ((collectTrainable && state.Trainable.Count > trainable.Length) || (collectContent && state.Content.Count > content.Length)) return false;
            state.Output.CopyTo(0, destination.Slice(0, length));
            charsWritten = length;
            if (collectTrainable)
            {
                CollectionsMarshal.AsSpan(state.Trainable).CopyTo(trainable);
                trainableCount = state.Trainable.Count;
            }

            if (collectContent)
            {
                CollectionsMarshal.AsSpan(state.Content).CopyTo(content);
                contentCount = state.Content.Count;
            }

            return true;
        }
        finally
        {
            JinjaFormatState.Return(state);
        }
    }

    /// <summary>Renders a plain conversation to a string (no ranges: the only allocation is the string).</summary>
    public static string FormatText(JinjaRenderer render, ReadOnlySpan<ChatMessage> messages, in FormatOptions options, string? bos, string? eos, string name, JinjaRenderOptions? renderOptions = null, JinjaMessageRenderer? typed = null)
    {
        JinjaFormatState state = JinjaFormatState.Rent();
        try
        {
            int length = RenderConversation(state, render, typed, messages, in options, bos, eos, name, renderOptions, out string? text);
            return text ?? state.Output.ToString(0, length);
        }
        finally
        {
            JinjaFormatState.Return(state);
        }
    }

    /// <summary>The number of characters formatting <paramref name="messages"/> writes (renders without keeping the text).</summary>
    public static int MeasureLength(JinjaRenderer render, ReadOnlySpan<ChatMessage> messages, in FormatOptions options, string? bos, string? eos, string name, JinjaRenderOptions? renderOptions = null, JinjaMessageRenderer? typed = null)
    {
        JinjaFormatState state = JinjaFormatState.Rent();
        try
        {
            return RenderConversation(state, render, typed, messages, in options, bos, eos, name, renderOptions, out _);
        }
        finally
        {
            JinjaFormatState.Return(state);
        }
    }

    // Renders into state.Output with content tracking; returns the length of the formatted text (shorter than the output
    // with ContinueFinalMessage, which also needs the text as a string to find the final message: then it is returned).
    private static int RenderConversation(JinjaFormatState state, JinjaRenderer render, JinjaMessageRenderer? typed, ReadOnlySpan<ChatMessage> messages, in FormatOptions options, string? bos, string? eos, string name, JinjaRenderOptions? renderOptions, out string? text)
    {
        if (options.AddGenerationPrompt && options.ContinueFinalMessage) throw TemplateException.IncompatibleOptions(name);
        if (options.ContinueFinalMessage && messages.Length == 0) throw TemplateException.NothingToContinue(name);
        // Typed code under the default options needs no thread-wide scope (its limits live in the output, its content
        // ranges go to the tracker's lists directly): a conversation it renders skips the scope's bookkeeping. One it
        // hands over renders through the general path below, from the start.
        if (typed is not null && renderOptions is null)
        {
            state.Tracker.Reset();
            state.Output.Reset(tracksContent: true, JinjaRenderOptions.Default.Limits);
            if (TryRenderTyped(state, typed, messages, options.AddGenerationPrompt, bos, eos)) return Finish(state, messages, in options, name, out text);
            typed = null;
        }

        ContentTracker.Begin(state.Tracker);
        JinjaRenderScope.Saved scope = JinjaRenderScope.Begin(renderOptions);
        state.Output.Reset(tracksContent: true);
        try
        {
            if (typed is null || !TryRenderTyped(state, typed, messages, options.AddGenerationPrompt, bos, eos))
            {
                state.SetMessages(messages, options.AddGenerationPrompt, bos, eos);
                render(state.Context, state.Output);
            }
        }
        catch (TemplateException e) when (e.Template is null)
        {
            throw e.ForTemplate(name);
        }
        finally
        {
            JinjaRenderScope.End(scope);
            ContentTracker.End();
        }

        return Finish(state, messages, in options, name, out text);
    }

    // The formatted length (and, with ContinueFinalMessage, the text cut after the final message).
    private static int Finish(JinjaFormatState state, ReadOnlySpan<ChatMessage> messages, in FormatOptions options, string name, out string? text)
    {
        text = null;
        if (!options.ContinueFinalMessage) return state.Output.Length;
        string full = state.Output.ToString();
        // transformers' apply_chat_template: find the stripped message (Python's whitespace, not .NET's), and keep the
        // trailing whitespace the template preserved; cut after the stripped text when the template trimmed it.
        string message = messages[^1].Content;
        string final = StringMethods.PyStrip(message);
        int at = full.LastIndexOf(final, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new TemplateException("Template '" + name + "': ContinueFinalMessage needs the final message's content in the output, and the template does not write it as is.", name, messages.Length - 1, messages[^1].Role);
        }

        int kept = StringMethods.PyLStrip(message).Length;
        bool preserved = kept == message.Length && at + kept <= full.Length && full.AsSpan(at, kept).SequenceEqual(message.AsSpan());
        int end = at + (preserved ? kept : final.Length);
        text = full.Substring(0, end);
        return text.Length;
    }

    // The typed formatter, when the template has one; false when it handed the conversation to the general renderer
    // (which then renders it from the start, with a clean output and tracker).
    private static bool TryRenderTyped(JinjaFormatState state, JinjaMessageRenderer typed, ReadOnlySpan<ChatMessage> messages, bool addGenerationPrompt, string? bos, string? eos)
    {
        state.Output.RecordContentIn(state.Tracker);
        try
        {
            typed(messages, addGenerationPrompt, JinjaText.OfOptional(bos), JinjaText.OfOptional(eos), state.Output);
            return true;
        }
        catch (JinjaFallbackException)
        {
        }
        catch (TemplateException e) when (e.Limit is not null)
        {
            // The general renderer reports the limit with the template position.
        }

        return false;
    }

    // Fills state.Trainable and state.Content for the first `length` characters of the output. `text` is materialized
    // only when the template transformed the content beyond tracking and the messages must be searched for.
    private static void ComputeRanges(JinjaFormatState state, ReadOnlySpan<ChatMessage> messages, int length, string? eos, ref string? text)
    {
        List<TextRange> ranges = state.Trainable;
        List<TextRange> contentRanges = state.Content;
        ranges.Clear();
        contentRanges.Clear();
        ContentTracker tracker = state.Tracker;
        foreach (TextRange range in tracker.ContentWritten)
        {
            if (range.Start >= length) continue;
            AddSorted(contentRanges, TextRange.FromBounds(range.Start, Math.Min(range.End, length)));
        }

        if (state.Output.HasGeneration)
        {
            // Indexed, not foreach: through IReadOnlyList the enumerator would be boxed on every formatting.
            IReadOnlyList<TextRange> generation = state.Output.GenerationRanges;
            for (int i = 0; i < generation.Count; i++)
            {
                TextRange range = generation[i];
                if (range.Start >= length) break;
                ranges.Add(TextRange.FromBounds(range.Start, Math.Min(range.End, length)));
            }
        }
        else if (tracker.Written.Count > 0)
        {
            // Where the assistant messages' content strings were written (followed through '+', '~' and trim).
            foreach (TextRange range in tracker.Written)
            {
                if (range.Start >= length) break;
                ranges.Add(TextRange.FromBounds(range.Start, Math.Min(range.End, length)));
            }
        }
        else if (tracker.ContentWritten.Count == 0 || HasAssistantContent(messages))
        {
            // The template transformed the content beyond tracking: locate each message's content in order.
            text ??= state.Output.ToString(0, length);
            int searchFrom = 0;
            foreach (ChatMessage message in messages)
            {
                string content = message.Content;
                if (content.Length == 0) continue;
                int at = text.IndexOf(content, searchFrom, StringComparison.Ordinal);
                if (at < 0)
                {
                    content = content.Trim();
                    if (content.Length == 0) continue;
                    at = text.IndexOf(content, searchFrom, StringComparison.Ordinal);
                    if (at < 0) continue;
                }

                if (message.Role == "assistant") ranges.Add(new TextRange(at, content.Length));
                if (tracker.ContentWritten.Count == 0) AddSorted(contentRanges, new TextRange(at, content.Length));
                searchFrom = at + content.Length;
            }
        }

        if (!state.Output.HasGeneration) ExtendOverTurnEnds(state.Output, ranges, length, eos);
    }

    // What chat templates write right after an answer to close the turn (ChatML/Qwen, Llama 3, Gemma, Phi-3, DeepSeek,
    // GPT-style and SentencePiece EOS). HF trains only {% generation %} blocks; without them Parley trains each answer
    // and, when the template writes one of these (or its EOS) right after it, that token too, so the model learns to
    // stop — the structured templates' rule (answer + suffix). Templates with generation blocks decide for themselves.
    private static readonly string[] TurnEnds =
        ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "<\uff5cend\u2581of\u2581sentence\uff5c>", "<|endoftext|>", "<|end_of_text|>", "<|return|>", "</s>"];

    private static void ExtendOverTurnEnds(JinjaOutput output, List<TextRange> ranges, int length, string? eos)
    {
        string? last = null;
        for (int i = 0; i < ranges.Count; i++)
        {
            int end = ranges[i].End;
            int limit = i + 1 < ranges.Count ? ranges[i + 1].Start : length;
            if (end >= limit) continue;
            string? turnEnd = eos is { Length: > 0 } && output.HasAt(end, eos, limit) ? eos : null;
            // Every listed turn end starts with '<': most answers are followed by something else, so look no further.
            if (turnEnd is null && output.CharAt(end) != '<') continue;
            // A template closes every answer alike: try the turn end found last first. (No listed turn end is a prefix of
            // another, so at most one of them matches and the order of the tries does not change the result.)
            if (turnEnd is null && last is not null && output.HasAt(end, last, limit)) turnEnd = last;
            for (int t = 0; turnEnd is null && t < TurnEnds.Length; t++)
            {
                if (output.HasAt(end, TurnEnds[t], limit)) turnEnd = TurnEnds[t];
            }

            if (turnEnd is not null)
            {
                ranges[i] = TextRange.FromBounds(ranges[i].Start, end + turnEnd.Length);
                last = turnEnd;
            }
        }
    }

    // Whether a search could find trainable text (else, with content already tracked, there is nothing to search for
    // and the output need not become a string).
    private static bool HasAssistantContent(ReadOnlySpan<ChatMessage> messages)
    {
        foreach (ChatMessage message in messages)
        {
            if (message.Role == "assistant" && message.Content.Length > 0) return true;
        }

        return false;
    }

    // Content ranges are kept sorted and disjoint (a tokenizer walks them in order); touching or overlapping ones merge.
    private static void AddSorted(List<TextRange> ranges, TextRange range)
    {
        if (range.Length == 0) return;
        // Content is written in order, so a range almost always lands at the end: touch only the last one then.
        if (ranges.Count == 0 || ranges[^1].Start <= range.Start)
        {
            if (ranges.Count > 0 && ranges[^1].End >= range.Start)
            {
                ranges[^1] = TextRange.FromBounds(ranges[^1].Start, Math.Max(ranges[^1].End, range.End));
            }
            else
            {
                ranges.Add(range);
            }

            return;
        }

        int at = ranges.Count;
        while (at > 0 && ranges[at - 1].Start > range.Start) at--;
        ranges.Insert(at, range);
        for (int i = 0; i + 1 < ranges.Count;)
        {
            if (ranges[i].End >= ranges[i + 1].Start)
            {
                ranges[i] = TextRange.FromBounds(ranges[i].Start, Math.Max(ranges[i].End, ranges[i + 1].End));
                ranges.RemoveAt(i + 1);
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>Copies a result into spans; false when either is too small.</summary>
    public static bool TryCopy(in JinjaFormatted formatted, Span<char> destination, out int charsWritten, Span<TextRange> trainable, out int trainableCount, Span<TextRange> content, out int contentCount)
    {
        contentCount = 0;
        if (formatted.Content.Length > content.Length || !TryCopy(in formatted, destination, out charsWritten, trainable, collectRanges: true, out trainableCount))
        {
            charsWritten = 0;
            trainableCount = 0;
            return false;
        }

        formatted.Content.AsSpan().CopyTo(content);
        contentCount = formatted.Content.Length;
        return true;
    }

    /// <summary>Copies a formatted result into the caller's spans; false when one is too small.</summary>
    public static bool TryCopy(in JinjaFormatted formatted, Span<char> destination, out int charsWritten, Span<TextRange> trainable, bool collectRanges, out int trainableCount)
    {
        charsWritten = 0;
        trainableCount = 0;
        if (formatted.Text.Length > destination.Length || (collectRanges && formatted.Trainable.Length > trainable.Length)) return false;
        formatted.Text.AsSpan().CopyTo(destination);
        charsWritten = formatted.Text.Length;
        if (collectRanges)
        {
            formatted.Trainable.AsSpan().CopyTo(trainable);
            trainableCount = formatted.Trainable.Length;
        }

        return true;
    }

    /// <summary>Renders with the full variable model; declared special tokens fill <c>bos_token</c>/<c>eos_token</c> when absent.</summary>
    public static string Render(JinjaRenderer render, System.Text.Json.JsonElement variables, string? bos, string? eos, JinjaRenderOptions? renderOptions = null)
    {
        JinjaFormatState state = JinjaFormatState.Rent();
        JinjaRenderScope.Saved scope = JinjaRenderScope.Begin(renderOptions);
        try
        {
            JinjaContext context = state.Context;
            context.Clear();
            context.SetJson(variables);
            if (bos is not null && !context.Contains("bos_token")) context.Set("bos_token", JinjaValue.FromString(bos));
            if (eos is not null && !context.Contains("eos_token")) context.Set("eos_token", JinjaValue.FromString(eos));
            state.Output.Reset(tracksContent: false);
            render(context, state.Output);
            return state.Output.ToString();
        }
        finally
        {
            JinjaRenderScope.End(scope);
            JinjaFormatState.Return(state);
        }
    }
}
#endif
