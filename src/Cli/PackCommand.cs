using Parley.Buffers;
using System.CommandLine;
using Parley.Collation;
using Parley.Data;
using Parley.Labels;
using Parley.Packing;
using Parley.Tokenization;
using Parquet.Serialization;

namespace Parley.Cli;

/// <summary><c>parley pack</c>: tokenizes, labels and packs a dataset into Parquet with HF <c>datasets</c> column names.</summary>
internal static class PackCommand
{
    /// <summary>One packed row, written with the column names HF <c>datasets</c> and TRL use.</summary>
    internal sealed class PackedRow
    {
#pragma warning disable IDE1006 // Parquet column names
        public int[] input_ids { get; set; } = [];
        public int[] labels { get; set; } = [];
        public int[] position_ids { get; set; } = [];
        public int[] seq_lengths { get; set; } = [];
#pragma warning restore IDE1006
    }

    public static Command Create(TextWriter stdout)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json (or its folder), a SentencePiece .model, or gpt2/cl100k_base.", Required = true };
        var data = new Option<string>("--data") { Description = "A JSONL, CSV or Parquet dataset.", Required = true };
        var template = new Option<string?>("--template") { Description = $"Template for messages or prompt/completion rows: {Resolvers.TemplateNames}, or a tokenizer_config.json / .jinja file; text rows need none." };
        var seqLength = new Option<int>("--seq-length") { Description = $"Tokens per packed row (at most {PackingOptions.MaxSeqLength}); a longer sequence is truncated (bfd, counted) or split (bfd_split, wrapped).", Required = true };
        var strategy = new Option<string>("--strategy") { Description = "bfd (best-fit decreasing, overflow truncated), bfd_split (overflow re-queued) or wrapped.", DefaultValueFactory = _ => "bfd" };
        strategy.AcceptOnlyFromAmong("bfd", "bfd_split", "wrapped");
        var output = new Option<string>("--out") { Description = "The Parquet file to write.", Required = true };
        var command = new Command("pack", """
            Tokenizes and labels a dataset, packs it, and writes Parquet with input_ids, labels, position_ids and
            seq_lengths (position_ids restart per packed sequence); prints fill statistics.
            Example: parley pack --tokenizer phi-3/tokenizer.json --template phi3 --data train.jsonl --seq-length 512 --strategy bfd --out packed.parquet
            """)
        { tokenizer, data, template, seqLength, strategy, output };
        var dataOptions = new DataOptions(shard: true);
        dataOptions.AddTo(command);

        command.SetAction(parse =>
        {
            string file = parse.GetValue(data)!;
            int length = parse.GetValue(seqLength);
            if (length < 1 || length > PackingOptions.MaxSeqLength) throw new CliInputException($"--seq-length {length}: must be between 1 and {PackingOptions.MaxSeqLength}.");
            PackingStrategy kind = parse.GetValue(strategy) switch { "bfd_split" => PackingStrategy.BfdSplit, "wrapped" => PackingStrategy.Wrapped, _ => PackingStrategy.Bfd };
            ParleyTokenizer tok = Resolvers.Tokenizer(parse.GetValue(tokenizer)!);
            IChatTemplate? chat = parse.GetValue(template) is { } name ? Resolvers.Template(name) : null;
            if (chat is not null) Resolvers.RequireFit(chat, tok);
            ConversationEncoder? encoder = chat is null ? null : new ConversationEncoder(chat, tok);
            using var outFile = OutputFile.Open(parse.GetValue(output)!, stdout);

            // Pass 1: encode each row and spill its ids and labels to a temporary file; only the lengths stay in memory.
            using var spill = new RowSpill(outFile.Path!);
            var reader = DatasetReader.Open(file, dataOptions.Read(parse));
            var tally = new RowTally();
            RowProgress.Run("tokenizing", report =>
            {
                foreach (DatasetExample row in reader)
                {
                    if (row.Format != DatasetFormat.Text && encoder is not null && tally.Empty(row.Messages)) continue;
                    EncodedConversation encoded = row.Format == DatasetFormat.Text || encoder is null
                        ? EncodeText(row, tok, file)
                        : encoder.Encode(Resolvers.Messages(row, file));
                    if (!tally.Keep(encoded)) continue;
                    // bfd truncates: count it here, and drop a row the cut leaves untrained; the split strategies keep every token.
                    var kept = kind == PackingStrategy.Bfd ? tally.Truncate(encoded.Ids, encoded.Labels, length) : (encoded.Ids, encoded.Labels);
                    if (kept is not { } k) continue;
                    spill.Add(k.Ids, k.Labels);
                    report(tally.Read);
                }

                return spill.Count;
            });
            tally.Bad = reader.Report.Skipped;
            tally.RequireTrainedRows(file, chat?.Info.Name ?? "(none: text rows)");

            // Pass 2: plan over the lengths, then write packed rows a row group at a time, reading segments back from the spill.
            PackingPlan plan = Packer.Plan(spill.Lengths, new PackingOptions { SeqLength = length, Strategy = kind });
            var group = new List<PackedRow>(RowGroupRows);
            for (int r = 0; r < plan.Count; r++)
            {
                int rowLength = plan.RowLength(r);
                var row = new PackedRow { input_ids = new int[rowLength], labels = new int[rowLength] };
                int at = 0;
                ReadOnlySpan<PackedSegment> segments = plan.SegmentsOf(r);
                row.seq_lengths = new int[segments.Length];
                for (int s = 0; s < segments.Length; s++)
                {
                    PackedSegment segment = segments[s];
                    spill.Read(segment.SourceRow, segment.Start, row.input_ids.AsSpan(at, segment.Length), row.labels.AsSpan(at, segment.Length));
                    at += segment.Length;
                    row.seq_lengths[s] = segment.TokenCount;
                }

                row.position_ids = Positions(row.seq_lengths);
                group.Add(row);
                if (group.Count == RowGroupRows || r == plan.Count - 1)
                {
                    ParquetSerializer.SerializeAsync(group, outFile.Stream!, new Parquet.ParquetOptions { Append = r >= RowGroupRows }).GetAwaiter().GetResult();
                    group.Clear();
                }
            }

            if (plan.Count == 0) ParquetSerializer.SerializeAsync(group, outFile.Stream!).GetAwaiter().GetResult();
            outFile.Commit();

            stdout.WriteLine($"{file}: {tally}");
            stdout.WriteLine(plan.Report.ToString());
            return ParleyCli.Ok;
        });
        return command;
    }

    /// <summary>Packed rows per Parquet row group: what pass 2 holds in memory at once.</summary>
    private const int RowGroupRows = 1024;

    private static EncodedConversation EncodeText(DatasetExample row, ParleyTokenizer tok, string file)
    {
        if (row.Format != DatasetFormat.Text)
        {
            throw new CliInputException($"{file}: line {row.Line}: conversational or prompt/completion rows need --template.");
        }

        TokenizedText tokens = tok.Encode(row.Text!);
        return new EncodedConversation(row.Text!, tokens.Ids, (int[])tokens.Ids.Clone(), tokens.Offsets, []);
    }

    private static int[] Positions(int[] seqLengths)
    {
        var positions = new int[seqLengths.Sum()];
        int at = 0;
        foreach (int length in seqLengths)
        {
            for (int p = 0; p < length; p++) positions[at++] = p;
        }

        return positions;
    }
}
