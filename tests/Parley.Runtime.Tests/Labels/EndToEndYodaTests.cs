using Parley.Buffers;
using Parley.Collation;
using Parley.Data;
using Parley.Labels;
using Parley.Packing;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Labels;

/// <summary>Phi-3's template as the seed prints it, compiled by the generator for the end-to-end test.</summary>
[ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
[Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
[Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
[Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
[GenerationPrompt("<|assistant|>\n")]
[ConversationEnd("{eos}")]
[InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>")]
public static partial class DataPhi3Template;

/// <summary>The whole data path on the seed's data: read → format → tokenize → label → pack → collate.</summary>
public class EndToEndYodaTests
{
    [Test]
    public void YodaMessagesThroughEveryStage()
    {
        var tokenizer = ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        var reader = DatasetReader.Open(Fixtures.Path("data", "yoda_train_messages.jsonl"));
        var ids = new List<int[]>();
        var templateLabels = new List<int[]>();
        var markerReport = new MarkerReport();
        var masker = new MarkerMasker<int>([32001]);
        Span<TextRange> trainable = stackalloc TextRange[8];
        var buffer = new char[4096];
        int differing = 0;
        foreach (var row in reader)
        {
            Assert.That(DataPhi3Template.TryFormat(row.Messages, buffer, out int written, FormatOptions.Default, trainable, out int count), Is.True);
            string text = new(buffer, 0, written);
            var encoded = tokenizer.Encode(text, addSpecialTokens: false);
            var labels = new int[encoded.Count];
            TemplateLabeler.Apply<int>(encoded.Ids, encoded.Offsets, trainable[..count], labels);
            var byMarker = new int[encoded.Count];
            markerReport.Record(masker.Apply(encoded.Ids, byMarker));
            if (!labels.SequenceEqual(byMarker)) differing++;
            ids.Add(encoded.Ids);
            templateLabels.Add(labels);
        }
        Assert.That((reader.Report.Read, reader.Report.Skipped, markerReport.RowsWithoutMarker), Is.EqualTo((576L, 0L, 0L)));
        Assert.That(differing, Is.Zero, "template-range labels and <|assistant|> marker labels must agree on every row");

        var idColumn = Ragged<int>.FromRows(ids);
        var labelColumn = Ragged<int>.FromRows(templateLabels);
        var lengths = ids.Select(r => r.Length).ToArray();
        var plan = Packer.Plan(lengths, new PackingOptions { SeqLength = 512, Strategy = PackingStrategy.BfdSplit });
        var packedIds = plan.Apply(idColumn.AsSpan());
        var packedLabels = plan.Apply(labelColumn.AsSpan());
        var seqLengths = plan.SeqLengths();
        Assert.That(packedIds.Values.Length, Is.EqualTo(lengths.Sum()));
        TestContext.Out.WriteLine(plan.Report);

        using var batch = new Batch();
        var collator = new FlatteningCollator(new FlatteningOptions());
        long trained = 0;
        for (int start = 0; start < packedIds.Count; start += 4)
        {
            int take = Math.Min(4, packedIds.Count - start);
            var batchIds = Ragged<int>.FromRows(packedIds.ToRows()[start..(start + take)]);
            var batchLabels = Ragged<int>.FromRows(packedLabels.ToRows()[start..(start + take)]);
            var batchSeqLengths = Ragged<int>.FromRows(seqLengths.ToRows()[start..(start + take)]);
            collator.CollatePacked(batchIds.AsSpan(), batchLabels.AsSpan(), batchSeqLengths.AsSpan(), batch);
            for (int i = 0; i < batch.Length; i++)
            {
                Assert.That(batch.Labels[i] == LabelIds.Ignore || batch.Labels[i] == batch.InputIds[i]);
                if (batch.Labels[i] != LabelIds.Ignore) trained++;
            }
        }
        Assert.That(trained, Is.GreaterThan(0));
    }
}
