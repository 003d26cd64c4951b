namespace Parley;

/// <summary>
/// The one place that decides whether an exception is the user's to fix (print one line, exit 1, HTTP 400) or a bug
/// (print the trace, exit 2, HTTP 500). The CLI, the samples and the service all ask it, so no entry point keeps its
/// own list.
/// </summary>
/// <example><code>
/// catch (Exception e) when (UserErrors.IsUserError(e))
/// {
///     Console.Error.WriteLine("tool: " + UserErrors.Describe(e));
///     return UserErrors.ExitBadInput;
/// }
/// </code></example>
public static class UserErrors
{
    /// <summary>Exit code for input the user can fix.</summary>
    public const int ExitBadInput = 1;

    /// <summary>Exit code for an internal error (a bug to report).</summary>
    public const int ExitInternal = 2;

    /// <summary>
    /// True for a <see cref="ParleyException"/> and for the file-system errors a path given by the user causes (missing
    /// file or folder, no permission, a path that cannot be written), also when wrapped in a
    /// <see cref="AggregateException"/> or a <see cref="System.Reflection.TargetInvocationException"/>.
    /// </summary>
    /// <param name="e">The exception.</param>
    public static bool IsUserError(Exception e) => UserCause(e) is not null;

    /// <summary>The user's error inside <paramref name="e"/> (itself, or the single cause a wrapper carries), or null for a bug.</summary>
    /// <param name="e">The exception.</param>
    public static Exception? UserCause(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e)
        {
            case ParleyException:
            case FileNotFoundException or DirectoryNotFoundException or PathTooLongException or UnauthorizedAccessException:
            case IOException when e.GetType() == typeof(IOException): // the plain kind: a device full, a read-only or special file
                return e;
            case AggregateException { InnerExceptions.Count: 1 } aggregate:
                return UserCause(aggregate.InnerExceptions[0]);
            case System.Reflection.TargetInvocationException { InnerException: { } inner }:
                return UserCause(inner);
            case TypeInitializationException { InnerException: { } inner }:
                return UserCause(inner);
            default:
                return null;
        }
    }

    /// <summary>
    /// One line for the user: the problem, where, and what to change. Multi-line messages (several template errors) are
    /// joined with <c>"; "</c>; no stack trace, no type names.
    /// </summary>
    /// <param name="e">A user error (see <see cref="IsUserError"/>).</param>
    /// <param name="hint">Rewrites a <see cref="ParleyException.Hint"/> into the caller's language (flags for a CLI, fields
    /// for a config); return null to keep the library's hint.</param>
    public static string Describe(Exception e, Func<ParleyException, string?>? hint = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        Exception cause = UserCause(e) ?? e;
        string text = cause switch
        {
            ParleyException p when hint?.Invoke(p) is { } own => p.Problem + " " + own,
            FileNotFoundException { FileName: { } name } f when !f.Message.Contains(name, StringComparison.Ordinal) => $"{name}: {f.Message}",
            _ => cause.Message,
        };
        return OneLine(text);
    }

    /// <summary>The field a user error names, for an API's problem details; null when it names none.</summary>
    /// <param name="e">The exception.</param>
    public static string? FieldOf(Exception e) => UserCause(e) is ParleyException p ? p.Field : null;

    private static string OneLine(string text)
    {
        if (text.AsSpan().IndexOfAny('\r', '\n') < 0) return text;
        string[] lines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join("; ", lines);
    }
}
