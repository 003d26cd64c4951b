using System.Text;
using Parley.Data;

namespace Parley.Runtime.Tests.Data;

public class DatasetReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "parley-data-tests", TestContext.CurrentContext.Test.ID);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content) => WriteBytes(name, Encoding.UTF8.GetBytes(content));

    private string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static readonly DatasetReadOptions Seed = new()
    {
        Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
    };

    [Test]
    public void SeedCsvWithColumnMapping()
    {
        var reader = DatasetReader.Open(Fixtures.Path("data", "yoda_sentences.csv"), Seed);
        var rows = reader.ToList();
        Assert.That(rows, Has.Count.EqualTo(720));
        Assert.That(reader.Format, Is.EqualTo(DatasetFormat.PromptCompletion));
        Assert.That((rows[0].Prompt, rows[0].Completion, rows[0].Line), Is.EqualTo(("The birch canoe slid on the smooth planks.", "On the smooth planks, the birch canoe slid. Yes, hrrrm.", 2L)));
        Assert.That(reader.Report.Read, Is.EqualTo(720));
    }

    [Test]
    public void SeedJsonlConversations()
    {
        var reader = DatasetReader.Open(Fixtures.Path("data", "yoda_train_messages.jsonl"));
        var rows = reader.ToList();
        Assert.That(rows, Has.Count.EqualTo(576));
        Assert.That(reader.Format, Is.EqualTo(DatasetFormat.Conversational));
        Assert.That(rows[0].Messages, Is.EqualTo(new[]
        {
            ChatMessage.User("A round hole was drilled through the thin board."),
            ChatMessage.Assistant("Through the thin board, a round hole was drilled."),
        }));
    }

    [Test]
    public void ShareGptConversationsTextAndCrlf()
    {
        var path = Write("sharegpt.jsonl", "{\"conversations\":[{\"from\":\"human\",\"value\":\"Hi\"},{\"from\":\"gpt\",\"value\":null}]}\r\n\r\n");
        var row = DatasetReader.Open(path).Single();
        Assert.That(row.Messages, Is.EqualTo(new[] { ChatMessage.User("Hi"), ChatMessage.Assistant("") }));

        path = Write("text.jsonl", "\uFEFF{\"text\":\"<s>[INST] a [/INST] b</s>\",\"id\":1}\n{\"text\":\"c\"}");
        var rows = DatasetReader.Open(path).ToList();
        Assert.That(rows.Select(r => (r.Format, r.Text, r.Line)), Is.EqualTo(new[] { (DatasetFormat.Text, "<s>[INST] a [/INST] b</s>", 1L), (DatasetFormat.Text, "c", 2L) }));
    }

    [Test]
    public void CsvQuotingAndMultilineFields()
    {
        var path = Write("q.csv", "prompt,completion\n\"a, \"\"quoted\"\"\",\"two\nlines\"\nplain,\n");
        var rows = DatasetReader.Open(path).ToList();
        Assert.That(rows.Select(r => (r.Prompt, r.Completion, r.Line)), Is.EqualTo(new[] { ("a, \"quoted\"", "two\nlines", 2L), ("plain", "", 4L) }));
    }

    private static DatasetException Bad(string path, DatasetReadOptions? options = null) =>
        Assert.Throws<DatasetException>(() => DatasetReader.Open(path, options).ToList())!;

    [Test]
    public void BadJsonlRowsNameFileLineAndField()
    {
        var good = "{\"prompt\":\"p\",\"completion\":\"c\"}\n";
        var e = Bad(Write("a.jsonl", good + "{\"prompt\": \"p\", \n"));
        Assert.That((e.Line, e.Row, e.Field), Is.EqualTo((2L, 1L, (string?)null)));
        Assert.That(e.Message, Does.StartWith(Path.Combine(_dir, "a.jsonl") + ":2 (row 1): The line is not valid JSON"));

        e = Bad(Write("b.jsonl", good + "{\"prompt\":\"p\"}\n"));
        Assert.That((e.Line, e.Field), Is.EqualTo((2L, "completion")));
        Assert.That(e.Message, Does.Contain("is missing"));

        e = Bad(Write("c.jsonl", good + "\n{\"prompt\":\"p\",\"completion\":42}\n"));
        Assert.That((e.Line, e.Row, e.Field), Is.EqualTo((3L, 1L, "completion")));
        Assert.That(e.Message, Does.Contain("must be a string; it is the number 42"));

        e = Bad(Write("d.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"wizard\",\"content\":\"y\"}]}\n"));
        Assert.That(e.Field, Is.EqualTo("messages[1].role"));
        Assert.That(e.Message, Does.Contain("The role 'wizard' is unknown"));

        e = Bad(WriteBytes("e.jsonl", [.. Encoding.UTF8.GetBytes(good), .. "{\"prompt\":\"p\xC3\"}"u8.ToArray().Take(12), 0xC3, 0x28, .. "\",\"completion\":\"c\"}\n"u8.ToArray()]));
        Assert.That(e.Line, Is.EqualTo(2));
        Assert.That(e.Message, Does.Contain("not valid UTF-8 (first bad byte at column 13)"));

        e = Bad(Write("f.jsonl", "[1, 2]\n"));
        Assert.That(e.Message, Does.Contain("holds a JSON array"));

        e = Bad(Write("g.jsonl", "{\"question\":\"q\",\"answer\":\"a\"}\n"));
        Assert.That(e.Message, Does.Contain("cannot be detected from the columns [question, answer]").And.Contain("Rename"));
    }

    [Test]
    public void BadCsvRowsNameLineAndField()
    {
        var e = Bad(Write("a.csv", "prompt,completion\np,c\np,c,extra\n"));
        Assert.That((e.Line, e.Row), Is.EqualTo((3L, 1L)));
        Assert.That(e.Message, Does.Contain("has 3 fields; the header has 2"));

        e = Bad(Write("b.csv", "prompt,completion\np,\"never closed\nmore\n"));
        Assert.That((e.Line, e.Field), Is.EqualTo((2L, "completion")));
        Assert.That(e.Message, Does.Contain("never closed"));

        e = Bad(WriteBytes("c.csv", [.. "prompt,completion\np,ok"u8.ToArray(), 0xFF, .. "\n"u8.ToArray()]));
        Assert.That((e.Line, e.Field), Is.EqualTo((2L, "completion")));
        Assert.That(e.Message, Does.Contain("not valid UTF-8"));

        e = Bad(Write("d.csv", "messages\n[]\n"));
        Assert.That(e.Message, Does.Contain("JSONL"));
    }

    [Test]
    public void SkippedRowsAreCountedAndReported()
    {
        var path = Write("mixed.jsonl", "{\"text\":\"a\"}\nnot json\n{\"text\":1}\n{\"text\":\"b\"}\n");
        var reader = DatasetReader.Open(path, new DatasetReadOptions { BadRows = BadRowPolicy.Skip });
        Assert.That(reader.Select(r => r.Text), Is.EqualTo(new[] { "a", "b" }));
        Assert.That((reader.Report.Read, reader.Report.Skipped), Is.EqualTo((2L, 2L)));
        Assert.That(reader.Report.Errors.Select(e => e.Line), Is.EqualTo(new[] { 2L, 3L }));
        Assert.That(reader.Report.ToString(), Does.StartWith("2 rows read, 2 skipped; first: "));
    }

    [Test]
    public void UnsupportedExtensionAndMissingFile()
    {
        Assert.Throws<DatasetFileException>(() => DatasetReader.Open(Write("x.xlsx", "")));
        Assert.Throws<FileNotFoundException>(() => DatasetReader.Open(Path.Combine(_dir, "nope.jsonl")));
    }

    [Test]
    public void LongLinesGrowTheBuffer()
    {
        var text = new string('x', 200_000);
        var path = Write("long.jsonl", $"{{\"text\":\"{text}\"}}\n{{\"text\":\"y\"}}");
        Assert.That(DatasetReader.Open(path).Select(r => r.Text!.Length), Is.EqualTo(new[] { 200_000, 1 }));
    }
}

public class DatasetShardingTests
{
    [Test]
    public void ShardsPartitionTheRowsDeterministically()
    {
        var path = Fixtures.Path("data", "yoda_test_messages.jsonl");
        var all = DatasetReader.Open(path).Select(r => r.Row).ToList();
        var shards = Enumerable.Range(0, 3)
            .Select(i => DatasetReader.Open(path, new DatasetReadOptions { ShardIndex = i, ShardCount = 3 }).Select(r => r.Row).ToList())
            .ToList();
        Assert.That(shards.SelectMany(s => s).Order(), Is.EqualTo(all));
        Assert.That(shards[1].Take(3), Is.EqualTo(new long[] { 1, 4, 7 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetReader.Open(path, new DatasetReadOptions { ShardIndex = 3, ShardCount = 3 }).ToList());
    }
}
