using Spectre.Console;

namespace Parley.Cli;

/// <summary>
/// A live "N rows" status on standard error while a command walks a dataset, shown only when standard error is a
/// terminal (redirected or captured output stays clean).
/// </summary>
internal static class RowProgress
{
    /// <summary>Runs <paramref name="work"/>, giving it a callback to report the rows done so far.</summary>
    public static T Run<T>(string what, Func<Action<long>, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            return work(_ => { });
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Status().Start($"{what}…", context =>
        {
            long last = 0;
            return work(rows =>
            {
                // Updating the terminal on every row would cost more than the work; every 1,000 rows is live enough.
                if (rows - last >= 1000)
                {
                    last = rows;
                    context.Status($"{what}: {rows:N0} rows");
                }
            });
        });
    }
}
