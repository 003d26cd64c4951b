using System.CommandLine;
using Parley.Data;

namespace Parley.Cli;

/// <summary>
/// The <c>parley</c> tool. Exit codes: 0 ok, 1 bad input (the message names the file, line and field), 2 internal error.
/// </summary>
public static class ParleyCli
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for bad input: a file, option, row or template the user can fix.</summary>
    public const int BadInput = UserErrors.ExitBadInput;

    /// <summary>Exit code for an internal error (a bug to report).</summary>
    public const int Internal = UserErrors.ExitInternal;

    /// <summary>Runs the tool with <paramref name="args"/>, writing results to <paramref name="output"/> and errors to <paramref name="error"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("parley: chat templates compiled to C#, and the data path of supervised fine-tuning.")
        {
            FormatCommand.Create(output),
            InspectCommand.Create(output),
            PackCommand.Create(output),
            TrainCommand.Create(output, error),
            JinjaCommands.Render(output),
            JinjaCommands.Check(output),
        };

        ShortenHelp(root);
        ParseResult parsed = root.Parse(args);
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserErrors.IsUserError(e))
        {
            error.WriteLine($"parley: {UserErrors.Describe(e, Hint)}");
            return BadInput;
        }
        catch (Exception e)
        {
            error.WriteLine($"parley: internal error: {e}");
            return Internal;
        }
    }

    /// <summary>One line per command in <c>parley --help</c>; the full text (examples, the config schema) in the command's own help.</summary>
    private static readonly Dictionary<string, string> Summaries = new(StringComparer.Ordinal)
    {
        ["format"] = "Formats a dataset with a compiled template: JSONL of text and trainable ranges.",
        ["inspect"] = "Shows one row as the model sees it: text, tokens (trained ones marked) and labels.",
        ["pack"] = "Tokenizes, labels and packs a dataset into Parquet with HF datasets columns.",
        ["train"] = "Fine-tunes a model with QLoRA from a JSON config and writes a PEFT adapter.",
        ["render"] = "Renders a model's Jinja chat template as HF apply_chat_template does.",
        ["check"] = "Checks a Jinja chat template as the build does.",
    };

    private static void ShortenHelp(RootCommand root)
    {
        var details = new Dictionary<Command, string>();
        foreach (Command command in root.Subcommands)
        {
            if (command.Description is { } full && Summaries.TryGetValue(command.Name, out string? summary))
            {
                details[command] = full;
                command.Description = summary;
            }
        }

        var help = root.Options.OfType<System.CommandLine.Help.HelpOption>().Single();
        help.Action = new DetailedHelp((System.CommandLine.Help.HelpAction)help.Action!, details);
    }

    /// <summary>The default help, then the command's full description (examples, schema) when it has one.</summary>
    private sealed class DetailedHelp(System.CommandLine.Help.HelpAction inner, Dictionary<Command, string> details) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = inner.Invoke(parseResult);
            if (details.TryGetValue(parseResult.CommandResult.Command, out string? text))
            {
                TextWriter output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Details:");
                foreach (string line in text.Split('\n')) output.WriteLine("  " + line.TrimEnd('\r'));
            }

            return code;
        }
    }

    /// <summary>The library's hints in the tool's language: options and config fields, not property names.</summary>
    internal static string? Hint(ParleyException e) => e switch
    {
        DatasetException => "Fix the row, or skip and count such rows with --bad-rows skip (train: \"bad_rows\": \"skip\" in the config).",
        Training.CheckpointException { Hint: Training.CheckpointException.DefaultHint } =>
            "Delete the checkpoints folder to start over, resume with the settings it was written with, or pass --force-resume to resume anyway.",
        _ => null,
    };
}

/// <summary>A command-line input the user can fix (an unknown template name, a missing option combination).</summary>
public sealed class CliInputException(string message) : ParleyException(message);
