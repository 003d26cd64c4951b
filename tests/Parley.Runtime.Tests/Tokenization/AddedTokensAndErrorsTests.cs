using System.Text;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>Adding tokens like HF, and clear errors for bad tokenizer files.</summary>
[TestFixture]
public class AddedTokensAndErrorsTests
{
    private string _dir = "";

    [SetUp]
    public void CreateTempDir()
    {
        _dir = Path.Combine(Path.GetTempPath(), "parley-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Existing_vocabulary_entries_keep_their_id_when_added()
    {
        ParleyTokenizer qwen = TokenizerFixtures.Fresh("qwen3");
        int before = qwen.Count;
        Assert.Multiple(() =>
        {
            Assert.That(qwen.AddTokens("hello"), Is.Zero);
            Assert.That(qwen.TokenToId("hello"), Is.EqualTo(14990));
            Assert.That(qwen.Count, Is.EqualTo(before));
            Assert.That(qwen.AddSpecialTokens("<|new_a|>", "<|new_b|>"), Is.EqualTo(2));
            Assert.That(qwen.TokenToId("<|new_b|>"), Is.EqualTo(151670));
            Assert.That(qwen.IsSpecial(151670), Is.True);
            Assert.That(qwen.EncodeToIds("x<|new_a|>y", addSpecialTokens: false), Is.EqualTo(new[] { 87, 151669, 88 }));
            Assert.That(qwen.Decode([87, 151669, 88], skipSpecialTokens: true), Is.EqualTo("xy"));
        });
    }

    [Test]
    public void Plain_added_tokens_are_still_matched_in_content_but_special_ones_are_not()
    {
        ParleyTokenizer opt = TokenizerFixtures.Fresh("opt");
        opt.AddTokens("##[YODA]##>");
        opt.AddSpecialTokens("<|im_start|>");
        int[] ids = opt.EncodeToIds("a ##[YODA]##> <|im_start|>", addSpecialTokens: false, parseSpecialTokens: false);
        Assert.Multiple(() =>
        {
            Assert.That(ids, Does.Contain(opt.TokenToId("##[YODA]##>")));
            Assert.That(ids, Does.Not.Contain(opt.TokenToId("<|im_start|>")));
        });
    }

    [Test]
    public void Missing_file_says_what_to_pass() =>
        Assert.That(() => ParleyTokenizer.FromTokenizerJson(Path.Combine(_dir, "nope")),
            Throws.TypeOf<FileNotFoundException>().With.Message.Contains("tokenizer.json"));

    [Test]
    public void Invalid_json_names_the_file()
    {
        string file = Write("tokenizer.json", "{ \"model\": ");
        var e = Assert.Throws<TokenizerFormatException>(() => ParleyTokenizer.FromTokenizerJson(file));
        Assert.That(e!.FileName, Is.EqualTo(file));
        Assert.That(e.Message, Does.Contain("not valid JSON"));
    }

    [Test]
    public void Unsupported_model_type_names_the_field()
    {
        string file = Write("tokenizer.json", """{"model": {"type": "CharLevel", "vocab": []}}""");
        var e = Assert.Throws<TokenizerFormatException>(() => ParleyTokenizer.FromTokenizerJson(file));
        Assert.That(e!.Field, Is.EqualTo("model.type"));
        Assert.That(e.Message, Does.Contain("'CharLevel' is not supported (supported: BPE, Unigram, WordPiece, WordLevel)"));
    }

    [Test]
    public void Merge_with_unknown_token_names_its_index()
    {
        string file = Write("tokenizer.json", """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a c"]}}""");
        var e = Assert.Throws<TokenizerFormatException>(() => ParleyTokenizer.FromTokenizerJson(file));
        Assert.That(e!.Field, Is.EqualTo("model.merges[1]"));
    }

    [Test]
    public void Unsupported_pre_tokenizer_names_the_nested_field()
    {
        string file = Write("tokenizer.json", """
            {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
             "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "UnicodeScripts"}]}}
            """);
        var e = Assert.Throws<TokenizerFormatException>(() => ParleyTokenizer.FromTokenizerJson(file));
        Assert.That(e!.Field, Is.EqualTo("pre_tokenizer.pretokenizers[1].type"));
        Assert.That(e.Message, Does.Contain("'UnicodeScripts' is not supported"));
    }

    [Test]
    public void Bad_padding_side_in_config_names_the_file_and_field()
    {
        Write("tokenizer.json", """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        string config = Write("tokenizer_config.json", """{"padding_side": "middle"}""");
        var e = Assert.Throws<TokenizerFormatException>(() => ParleyTokenizer.FromTokenizerJson(_dir));
        Assert.That(e!.FileName, Is.EqualTo(config));
        Assert.That(e.Field, Is.EqualTo("padding_side"));
    }

    [Test]
    public void Minimal_byte_fallback_model_loads_from_a_stream()
    {
        const string json = """
            {"model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
                       "vocab": {"<unk>": 0, "<0x41>": 1, "h": 2, "i": 3, "hi": 4}, "merges": [["h", "i"]]},
             "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}}
            """;
        ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        Assert.Multiple(() =>
        {
            Assert.That(tok.EncodeToIds("hiAh"), Is.EqualTo(new[] { 4, 1, 2 }));
            Assert.That(tok.EncodeToIds("hxyi"), Is.EqualTo(new[] { 2, 0, 3 }), "unknown chars fuse into one <unk>");
            Assert.That(tok.Decode([4, 1, 2]), Is.EqualTo("hiAh"));
        });
    }

    [Test]
    public void Sentencepiece_garbage_is_a_format_error()
    {
        string file = Write("bad.model", "this is not a protobuf");
        Assert.That(() => ParleyTokenizer.FromSentencePiece(file), Throws.TypeOf<TokenizerFormatException>().With.Property("FileName").EqualTo(file));
    }

    [Test]
    public void Unknown_tiktoken_encoding_lists_the_supported_ones() =>
        Assert.That(() => ParleyTokenizer.FromTiktoken("p99k"), Throws.ArgumentException.With.Message.Contains("cl100k_base"));

    [Test]
    public void Load_picks_the_reader_from_what_the_source_is()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ParleyTokenizer.Load(Fixtures.Path("tokenizers", "opt-350m")).EncodeToIds("Hi", addSpecialTokens: false),
                Is.EqualTo(new[] { 30086 }));
            Assert.That(ParleyTokenizer.Load(Fixtures.Path("tokenizers", "llama-2")).Count, Is.EqualTo(32000), "folder with tokenizer.model");
            Assert.That(ParleyTokenizer.Load(Fixtures.Path("models", "stories260K", "tok512.model")).Count, Is.EqualTo(512));
            Assert.That(ParleyTokenizer.Load("cl100k_base").EncodeToIds("hello world"), Is.EqualTo(new[] { 15339, 1917 }));
            Assert.That(() => ParleyTokenizer.Load(Path.Combine(_dir, "missing")), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("encoding name"));
        });
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
