using System.CommandLine;
using System.Text;
using Parley.Data;
using Parley.Labels;
using Parley.Tokenization;

namespace Parley.Cli;

/// <summary><c>parley inspect</c>: one row, formatted and tokenized, with the trained tokens marked.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter stdout)
    {
        var template = new Option<string>("--template") { Description = $"A built-in template ({Resolvers.TemplateNames}), or a tokenizer_config.json or .jinja file compiled at run time.", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json (or its folder), a SentencePiece .model, or gpt2/cl100k_base.", Required = true };
        var data = new Option<string>("--data") { Description = "A JSONL, CSV or Parquet dataset.", Required = true };
        var row = new Option<int>("--row") { Description = "0-based row to show.", DefaultValueFactory = _ => 0 };
        var plain = new Option<bool>("--plain") { Description = "No colour: trained tokens in ⟦ ⟧ (the default when output is redirected)." };
        var command = new Command("inspect", """
            Shows one row as the model sees it: the formatted text, its tokens (trained ones highlighted, or in ⟦ ⟧ when
            output is redirected) and the label ids (-100 = not trained).
            Example: parley inspect --template phi3 --tokenizer phi-3/tokenizer.json --data train.jsonl --row 3
            """)
        { template, tokenizer, data, row, plain };
        var dataOptions = new DataOptions(shard: false);
        dataOptions.AddTo(command);

        command.SetAction(parse =>
        {
            string file = parse.GetValue(data)!;
            int index = parse.GetValue(row);
            if (index < 0) throw new CliInputException($"--row {index}: rows are numbered from 0.");
            IChatTemplate chat = Resolvers.Template(parse.GetValue(template)!);
            ParleyTokenizer tok = Resolvers.Tokenizer(parse.GetValue(tokenizer)!);
            Resolvers.RequireFit(chat, tok);
            DatasetExample example = DatasetReader.Open(file, dataOptions.Read(parse)).Skip(index).FirstOrDefault()
                ?? throw new CliInputException($"{file}: has no row {index}.");
            ChatMessage[] messages = Resolvers.Messages(example, file);
            if (messages.Length == 0) throw new CliInputException($"{file}:{example.Line}: row {index} is an empty conversation (\"messages\": []); training skips such rows.");
            EncodedConversation encoded = new ConversationEncoder(chat, tok).Encode(messages);
            bool colour = !parse.GetValue(plain) && !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out);

            stdout.WriteLine($"row {index} (line {example.Line}) of {file}, {chat.Info.Name}, {encoded.Ids.Length} tokens, {encoded.TrainedTokens} trained");
            if (encoded.TrainedTokens == 0) stdout.WriteLine("warning: no token of this row is trained; pack and train skip such rows.");
            stdout.WriteLine("text:");
            stdout.WriteLine(encoded.Text);
            stdout.WriteLine("tokens:");
            var line = new StringBuilder();
            for (int i = 0; i < encoded.Ids.Length; i++)
            {
                string piece = Piece(tok, encoded.Ids[i]);
                bool trained = encoded.Labels[i] != LabelIds.Ignore;
                line.Append(trained ? (colour ? $"\u001b[1;32m{piece}\u001b[0m" : $"⟦{piece}⟧") : piece).Append(Separator);
            }

            stdout.WriteLine(line.ToString());
            stdout.WriteLine("input_ids: [" + string.Join(", ", encoded.Ids) + "]");
            stdout.WriteLine("labels:    [" + string.Join(", ", encoded.Labels) + "]");
            return ParleyCli.Ok;
        });
        return command;
    }

    /// <summary>Between tokens: a box-drawing bar, which no tokenizer's piece text is made of in practice (unlike '|').</summary>
    internal const char Separator = '│';

    /// <summary>A token's text as the vocabulary spells it where that keeps the SentencePiece space marker (▁); newlines and tabs escaped.</summary>
    private static string Piece(ParleyTokenizer tok, int id)
    {
        string piece = tok.IdToToken(id) is { } raw && raw.Contains('▁', StringComparison.Ordinal) ? raw : tok.Decode([id]);
        return piece.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
    }
}
