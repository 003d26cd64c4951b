using System.CommandLine;
using System.Text.Json;
using Parley.Data;

namespace Parley.Cli;

/// <summary><c>parley format</c>: formats every row of a dataset with a compiled template.</summary>
internal static class FormatCommand
{
    public static Command Create(TextWriter stdout)
    {
        var template = new Option<string>("--template") { Description = $"A built-in template ({string.Join(", ", Parley.Templates.BuiltInTemplates.Names)}), or a tokenizer_config.json or .jinja file compiled at run time.", Required = true };
        var data = new Option<string>("--data") { Description = "A JSONL, CSV or Parquet dataset (messages, or prompt/completion).", Required = true };
        var output = new Option<string?>("--out") { Description = "Write JSONL ({\"text\", \"trainable\"}) here instead of standard output." };
        var generation = new Option<bool>("--add-generation-prompt") { Description = "End with the generation prompt (inference form)." };
        var command = new Command("format", """
            Formats a dataset with a compiled template; each output line is {"text": ..., "trainable": [[start, end], ...]}.
            Example: parley format --template phi3 --data train.jsonl --out formatted.jsonl
            """)
        { template, data, output, generation };

        command.SetAction(parse =>
        {
            IChatTemplate chat = Resolvers.Template(parse.GetValue(template)!);
            string file = parse.GetValue(data)!;
            string? outPath = parse.GetValue(output);
            var options = new FormatOptions { AddGenerationPrompt = parse.GetValue(generation) };
            using TextWriter writer = outPath is null ? TextWriter.Null : new StreamWriter(outPath);
            TextWriter target = outPath is null ? stdout : writer;
            var buffer = new char[4096];
            var ranges = new TextRange[16];
            var reader = DatasetReader.Open(file);
            long rows = RowProgress.Run("formatting", report =>
            {
                long done = 0;
                foreach (DatasetExample row in reader)
                {
                    ChatMessage[] messages = Resolvers.Messages(row, file);
                    int needed = chat.GetMaxLength(messages, options);
                    if (needed > buffer.Length) buffer = new char[needed];
                    if (messages.Length > ranges.Length) ranges = new TextRange[messages.Length];
                    chat.TryFormat(messages, buffer, out int written, options, ranges, out int count);
                    target.WriteLine(JsonSerializer.Serialize(new
                    {
                        text = new string(buffer, 0, written),
                        trainable = ranges[..count].Select(r => new[] { r.Start, r.End }),
                    }));
                    report(++done);
                }

                return done;
            });

            if (outPath is not null)
            {
                stdout.WriteLine($"formatted {rows} rows with {chat.Info.Name} into {outPath}; {reader.Report.Skipped} bad rows skipped");
            }

            return ParleyCli.Ok;
        });
        return command;
    }
}
