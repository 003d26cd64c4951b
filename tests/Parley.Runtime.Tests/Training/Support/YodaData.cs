using Parley.Training;

namespace Parley.Runtime.Tests.Training.Support;

/// <summary>Test-only: yoda sentence pairs as prompt + completion batches for stories260K (tok512).</summary>
internal static class YodaData
{
    public const int Bos = 1;
    public const int Eos = 2;

    /// <summary>(sentence, translation) rows of <c>data/yoda_sentences.csv</c>.</summary>
    public static List<(string Sentence, string Translation)> Pairs()
    {
        var rows = new List<(string, string)>();
        foreach (var line in File.ReadLines(Fixtures.Path("data", "yoda_sentences.csv")).Skip(1))
        {
            var fields = SplitCsv(line);
            if (fields.Count >= 2)
            {
                rows.Add((fields[0], fields[1]));
            }
        }
        return rows;
    }

    /// <summary>BOS prompt " =&gt;" completion EOS; labels only on the completion and EOS; right-padded rows.</summary>
    public static List<TrainingBatch> Batches(Llama2cTokenizer tokenizer, IEnumerable<(string Sentence, string Translation)> pairs, int rowsPerBatch)
    {
        var examples = pairs.Select(p =>
        {
            var prompt = new List<int> { Bos };
            prompt.AddRange(tokenizer.Encode(p.Sentence + " =>"));
            var completion = tokenizer.Encode(p.Translation);
            completion.Add(Eos);
            var ids = prompt.Concat(completion).Select(i => (long)i).ToArray();
            var labels = Enumerable.Repeat(-100L, prompt.Count).Concat(completion.Select(i => (long)i)).ToArray();
            return (ids, labels);
        }).ToList();
        var batches = new List<TrainingBatch>();
        foreach (var chunk in examples.Chunk(rowsPerBatch))
        {
            var width = chunk.Max(e => e.ids.Length);
            var ids = new long[chunk.Length * width];
            var labels = new long[chunk.Length * width];
            var mask = new long[chunk.Length * width];
            Array.Fill(labels, -100L);
            for (var r = 0; r < chunk.Length; r++)
            {
                chunk[r].ids.CopyTo(ids, r * width);
                chunk[r].labels.CopyTo(labels, r * width);
                Array.Fill(mask, 1L, r * width, chunk[r].ids.Length);
            }
            batches.Add(new TrainingBatch(ids, labels, chunk.Length, width) { AttentionMask = mask });
        }
        return batches;
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString());
        return fields;
    }
}
