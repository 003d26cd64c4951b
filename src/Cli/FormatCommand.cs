using System.CommandLine;
using System.Text.Json;
using Parley.Data;

namespace Parley.Cli;

/// <summary><c>parley format</c>: formats every row of a dataset with a compiled template.</summary>
internal static class FormatCommand
{
    public static Command Create(TextWriter stdout)
    {
        var template = new Option<string>("--template") { Description = $"A built-in template ({Resolvers.TemplateNames}), or a tokenizer_config.json or .jinja file compiled at run time.", Required = true };
        var data = new Option<string>("--data") { Description = "A JSONL, CSV or Parquet dataset (messages, or prompt/completion).", Required = true };
        var output = new Option<string?>("--out") { Description = "Write JSONL ({\"text\", \"trainable\"}) here instead of standard output." };
        var generation = new Option<bool>("--add-generation-prompt") { Description = "End with the generation prompt (inference form)." };
        var command = new Command("format", """
            Formats a dataset with a compiled template; each output line is {"text": ..., "trainable": [[start, end], ...]}.
            Example: parley format --template phi3 --data train.jsonl --out formatted.jsonl
            """)
        { template, data, output, generation };
        var dataOptions = new DataOptions(shard: true);
        dataOptions.AddTo(command);

        command.SetAction(parse =>
        {
            IChatTemplate chat = Resolvers.Template(parse.GetValue(template)!);
            string file = parse.GetValue(data)!;
            string? outPath = parse.GetValue(output);
            var options = new FormatOptions { AddGenerationPrompt = parse.GetValue(generation) };
            var reader = DatasetReader.Open(file, dataOptions.Read(parse));
            var tally = new Labels.RowTally();
            var buffer = new char[4096];
            var ranges = new TextRange[16];
            using (var output = OutputFile.Open(outPath, stdout))
            {
                RowProgress.Run("formatting", report =>
                {
                    foreach (DatasetExample row in reader)
                    {
                        ChatMessage[] messages = Resolvers.Messages(row, file);
                        if (tally.Empty(messages)) continue;
                        int needed = chat.GetMaxLength(messages, options);
                        if (needed > buffer.Length) buffer = new char[needed];
                        if (messages.Length + 1 > ranges.Length) ranges = new TextRange[messages.Length + 1];
                        if (!chat.TryFormat(messages, buffer, out int written, options, ranges, out int count))
                        {
                            throw new InvalidOperationException($"{file}:{row.Line}: template {chat.Info.Name} needed more than its own GetMaxLength ({needed} chars); this is a bug in the template's generated code.");
                        }

                        output.Writer.WriteLine(JsonSerializer.Serialize(new FormattedRow(new string(buffer, 0, written), ranges[..count].Select(r => new[] { r.Start, r.End }).ToArray()), ReadableJson));
                        tally.KeepUnchecked();
                        report(tally.Read);
                    }

                    return tally.Read;
                });
                output.Commit();
            }

            tally.Bad = reader.Report.Skipped;
            if (outPath is not null) stdout.WriteLine($"formatted with {chat.Info.Name} into {outPath}: {tally}");
            else if (tally.Kept != tally.Read + tally.Bad) Console.Error.WriteLine($"parley format: {tally}");

            return ParleyCli.Ok;
        });
        return command;
    }

    /// <summary>JSON for people and tools, not HTML: <c>&lt;|user|&gt;</c> stays readable instead of <c>\u003C|user|\u003E</c>.</summary>
    internal static readonly JsonSerializerOptions ReadableJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record FormattedRow(
        [property: System.Text.Json.Serialization.JsonPropertyName("text")] string Text,
        [property: System.Text.Json.Serialization.JsonPropertyName("trainable")] int[][] Trainable);
}
