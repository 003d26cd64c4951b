using Parley.Data;
using Parquet;
using Parquet.Serialization;

namespace Parley.Runtime.Tests.Data;

public class ParquetDatasetReaderTests
{
    public sealed class Message
    {
        public string? role { get; set; }
        public string? content { get; set; }
    }

    public sealed class ConversationRow
    {
        public List<Message> messages { get; set; } = [];
        public long id { get; set; }
    }

    public sealed class PairRow
    {
        public string? sentence { get; set; }
        public string? translation { get; set; }
        public string? translation_extra { get; set; }
    }

    private string _path = "";

    [SetUp]
    public void SetUp() => _path = Path.Combine(Path.GetTempPath(), $"parley-{TestContext.CurrentContext.Test.ID}.parquet");

    [TearDown]
    public void TearDown() => File.Delete(_path);

    [Test]
    public async Task ConversationsAcrossRowGroups()
    {
        var rows = Enumerable.Range(0, 5).Select(i => new ConversationRow
        {
            id = i,
            messages = [new() { role = "user", content = $"q{i}" }, new() { role = "assistant", content = i == 3 ? null : $"a{i}" }],
        }).ToList();
        await using (var file = File.Create(_path))
        {
            await ParquetSerializer.SerializeAsync(rows, file, new ParquetOptions { RowGroupSize = 2 });
        }
        await using (var parquet = await ParquetReader.CreateAsync(_path))
        {
            Assert.That(parquet.RowGroupCount, Is.EqualTo(3));
        }
        var reader = DatasetReader.Open(_path);
        var read = reader.ToList();
        Assert.That(reader.Format, Is.EqualTo(DatasetFormat.Conversational));
        Assert.That(read.Select(r => r.Messages![0].Content), Is.EqualTo(new[] { "q0", "q1", "q2", "q3", "q4" }));
        Assert.That(read[3].Messages![1], Is.EqualTo(ChatMessage.Assistant("")));
        Assert.That(read.Select(r => r.Line), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public async Task ColumnMappingAndBadRows()
    {
        var rows = new List<PairRow>
        {
            new() { sentence = "s0", translation = "t0", translation_extra = "x0" },
            new() { sentence = "s1", translation = "t1", translation_extra = null },
        };
        await using (var file = File.Create(_path))
        {
            await ParquetSerializer.SerializeAsync(rows, file);
        }
        var options = new DatasetReadOptions
        {
            Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
        };
        var e = Assert.Throws<DatasetException>(() => DatasetReader.Open(_path, options).ToList())!;
        Assert.That((e.Line, e.Row, e.Field), Is.EqualTo((2L, 1L, "completion")));

        var reader = DatasetReader.Open(_path, options with { BadRows = BadRowPolicy.Skip });
        Assert.That(reader.Select(r => (r.Prompt, r.Completion)), Is.EqualTo(new[] { ("s0", "x0") }));
        Assert.That(reader.Report.Skipped, Is.EqualTo(1));
    }

    [Test]
    public void NotParquet()
    {
        File.WriteAllText(_path, "not parquet at all");
        var e = Assert.Throws<DatasetException>(() => DatasetReader.Open(_path).ToList())!;
        Assert.That(e.Message, Does.Contain("not a readable Parquet file"));
    }
}
