using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Parley.Jinja;

/// <summary>
/// Bounds on what one rendering of a Jinja template may do, so a template from anywhere (a user's
/// tokenizer_config.json, a service request) ends in a <see cref="TemplateException"/> naming the limit and the template
/// position instead of exhausting the stack, the memory or the CPU. The defaults are far above what any real chat
/// template does (Python jinja2 itself gives up on recursion long before <see cref="MaxDepth"/>).
/// </summary>
/// <example>
/// <code>
/// var strict = new JinjaRenderOptions { Limits = JinjaLimits.Default with { MaxOutputLength = 64 * 1024 } };
/// JinjaTemplate template = JinjaTemplate.Parse(text, new JinjaTemplateOptions { Render = strict });
/// </code>
/// </example>
public sealed record JinjaLimits
{
    /// <summary>The defaults: depth 200, nesting 128, 8 Mi characters of output, 1 Mi items or characters per value, 1 M loop iterations.</summary>
    public static JinjaLimits Default { get; } = new();

    /// <summary>Macro and <c>caller()</c> calls in progress at once (recursion depth).</summary>
    public int MaxDepth { get; init; } = 200;

    /// <summary>Nesting of expressions (parentheses, lists, operators) and of statements when a template is parsed.</summary>
    public int MaxNesting { get; init; } = Syntax.JinjaParser.DefaultMaxNesting;

    /// <summary>Characters one rendering (or one captured block) may write.</summary>
    public int MaxOutputLength { get; init; } = 8 * 1024 * 1024;

    /// <summary>Items of a list or characters of a string made by <c>*</c>, <c>+</c>, <c>~</c> or <c>range</c>.</summary>
    public int MaxSequenceLength { get; init; } = 1024 * 1024;

    /// <summary>For-loop iterations of one rendering, all loops together.</summary>
    public long MaxIterations { get; init; } = 1_000_000;
}

/// <summary>How a template renders: its <see cref="JinjaLimits"/> and the clock <c>strftime_now</c> reads.</summary>
/// <example>
/// <code>
/// var frozen = new JinjaRenderOptions { TimeProvider = new FixedTimeProvider(new DateTime(2025, 7, 10)) };
/// string text = MyTemplate.Render(variables, frozen);
/// </code>
/// </example>
public sealed record JinjaRenderOptions
{
    /// <summary>Default limits and the system clock (local time, as Python's <c>datetime.now()</c>).</summary>
    public static JinjaRenderOptions Default { get; } = new();

    /// <summary>The limits.</summary>
    public JinjaLimits Limits { get; init; } = JinjaLimits.Default;

    /// <summary>The clock of <c>strftime_now</c> (its local time).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// The limits and counters of the rendering in progress on this thread. Generated code and the interpreter call the
/// runtime's static helpers, which read them here rather than take a context argument on every operator.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaRenderScope
{
    [ThreadStatic]
    private static JinjaRenderOptions? _options;

    [ThreadStatic]
    private static long _iterationsLeft;

    [ThreadStatic]
    private static int _depth;

    /// <summary>What a scope replaced, restored by <see cref="End"/> (renderings may nest on one thread).</summary>
    public readonly struct Saved
    {
        internal Saved(JinjaRenderOptions? options, long iterationsLeft, int depth)
        {
            Options = options;
            IterationsLeft = iterationsLeft;
            Depth = depth;
        }

        internal JinjaRenderOptions? Options { get; }

        internal long IterationsLeft { get; }

        internal int Depth { get; }
    }

    /// <summary>The options of the rendering in progress (the defaults outside one).</summary>
    public static JinjaRenderOptions Options => _options ?? JinjaRenderOptions.Default;

    /// <summary>The limits of the rendering in progress.</summary>
    public static JinjaLimits Limits => Options.Limits;

    /// <summary>Starts a rendering with <paramref name="options"/>.</summary>
    public static Saved Begin(JinjaRenderOptions? options)
    {
        var saved = new Saved(_options, _iterationsLeft, _depth);
        _options = options ?? JinjaRenderOptions.Default;
        _iterationsLeft = _options.Limits.MaxIterations;
        _depth = 0;
        return saved;
    }

    /// <summary>Ends the rendering started by the <see cref="Begin"/> that returned <paramref name="saved"/>.</summary>
    public static void End(in Saved saved)
    {
        _options = saved.Options;
        _iterationsLeft = saved.IterationsLeft;
        _depth = saved.Depth;
    }

    /// <summary>Counts one loop iteration against <see cref="JinjaLimits.MaxIterations"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CountIteration()
    {
        if (--_iterationsLeft < 0 && _options is not null) throw IterationsExceeded();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TemplateException IterationsExceeded() =>
        LimitExceeded("MaxIterations", "more than " + Limits.MaxIterations.ToString(CultureInfo.InvariantCulture) + " loop iterations");

    /// <summary>Enters a macro or <c>caller()</c> call; false when that passes <see cref="JinjaLimits.MaxDepth"/> or the thread's stack is nearly spent.</summary>
    internal static void Enter()
    {
        if (++_depth > Limits.MaxDepth)
        {
            _depth--;
            throw LimitExceeded("MaxDepth", "calls nested more than " + Limits.MaxDepth.ToString(CultureInfo.InvariantCulture) + " deep (runaway recursion?)");
        }

        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            _depth--;
            throw StackExhausted();
        }
    }

    /// <summary>Leaves a call entered with <see cref="Enter"/>.</summary>
    internal static void Exit() => _depth--;

    /// <summary>The error for a rendering that would exhaust the thread's stack.</summary>
    internal static TemplateException StackExhausted() =>
        LimitExceeded("MaxDepth", "the template nests too deep for this thread's stack");

    /// <summary>Checks a length about to be created against <see cref="JinjaLimits.MaxSequenceLength"/>.</summary>
    internal static void CheckSequenceLength(long length, string what)
    {
        if (length > Limits.MaxSequenceLength)
        {
            throw LimitExceeded("MaxSequenceLength", what + " of " + length.ToString(CultureInfo.InvariantCulture) + " items or characters (the limit is "
                + Limits.MaxSequenceLength.ToString(CultureInfo.InvariantCulture) + ")");
        }
    }

    /// <summary>The error for output past <see cref="JinjaLimits.MaxOutputLength"/>.</summary>
    internal static TemplateException OutputExceeded(int max) =>
        LimitExceeded("MaxOutputLength", "more than " + max.ToString(CultureInfo.InvariantCulture) + " characters of output");

    /// <summary>A limit's error: the position is added by the code that knows it (<see cref="JinjaRuntime.AtPosition"/>).</summary>
    internal static TemplateException LimitExceeded(string limit, string what) =>
        TemplateException.ForLimit("Template limit " + limit + " exceeded: " + what, limit);
}
