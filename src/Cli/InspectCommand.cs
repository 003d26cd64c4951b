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
        var template = new Option<string>("--template") { Description = $"A built-in template ({string.Join(", ", Parley.Templates.BuiltInTemplates.Names)}), or a tokenizer_config.json or .jinja file compiled at run time.", Required = true };
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

        command.SetAction(parse =>
        {
            string file = parse.GetValue(data)!;
            int index = parse.GetValue(row);
            if (index < 0) throw new CliInputException($"--row {index}: rows are numbered from 0.");
            IChatTemplate chat = Resolvers.Template(parse.GetValue(template)!);
            ParleyTokenizer tok = Resolvers.Tokenizer(parse.GetValue(tokenizer)!);
            foreach (string special in chat.Info.SpecialTokens)
            {
                if (tok.TokenToId(special) is null)
                {
                    throw new CliInputException($"--tokenizer: '{special}', a special token of {chat.Info.Name}, is not in the tokenizer; the template and tokenizer do not belong together.");
                }
            }

            DatasetExample example = DatasetReader.Open(file).Skip(index).FirstOrDefault()
                ?? throw new CliInputException($"{file}: has no row {index}.");
            EncodedConversation encoded = new ConversationEncoder(chat, tok).Encode(Resolvers.Messages(example, file));
            bool colour = !parse.GetValue(plain) && !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out);

            stdout.WriteLine($"row {index} (line {example.Line}) of {file}, {chat.Info.Name}, {encoded.Ids.Length} tokens, {encoded.TrainedTokens} trained");
            stdout.WriteLine("text:");
            stdout.WriteLine(encoded.Text);
            stdout.WriteLine("tokens:");
            var line = new StringBuilder();
            for (int i = 0; i < encoded.Ids.Length; i++)
            {
                string piece = tok.Decode([encoded.Ids[i]]).Replace("\n", "\\n");
                bool trained = encoded.Labels[i] != LabelIds.Ignore;
                line.Append(trained ? (colour ? $"\u001b[1;32m{piece}\u001b[0m" : $"⟦{piece}⟧") : piece).Append('|');
            }

            stdout.WriteLine(line.ToString());
            stdout.WriteLine("input_ids: [" + string.Join(", ", encoded.Ids) + "]");
            stdout.WriteLine("labels:    [" + string.Join(", ", encoded.Labels) + "]");
            return ParleyCli.Ok;
        });
        return command;
    }
}
