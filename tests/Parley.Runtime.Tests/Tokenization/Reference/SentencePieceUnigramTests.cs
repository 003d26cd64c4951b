using System.Text.Json;
using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization.Reference;

/// <summary>
/// A SentencePiece unigram <c>.model</c> (nmt_nfkc normalization, byte fallback) trained by the SentencePiece library on
/// the fixtures' Yoda sentences, against <c>spm_encode</c> on the one-line texts of the reference corpus
/// (tests/reference/make-sentencepiece-unigram.sh writes both).
/// </summary>
[TestFixture]
public class SentencePieceUnigramTests
{
    [Test]
    public void Ids_equal_spm_encode_on_the_reference_corpus()
    {
        ParleyTokenizer tok = ParleyTokenizer.FromSentencePiece(RepositoryFiles.Reference("sentencepiece", "unigram.model"), addBos: false);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Reference("sentencepiece", "unigram.ids.json")));
        var failures = new List<string>();
        int n = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            int[] expected = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            int[] got = tok.EncodeToIds(text, addSpecialTokens: false);
            if (!got.SequenceEqual(expected))
                failures.Add($"{JsonSerializer.Serialize(text)}:\n   got      [{string.Join(", ", got)}]\n   expected [{string.Join(", ", expected)}]");
            OffsetAssert.Partitions(tok.Encode(text, addSpecialTokens: false), text);
            n++;
        }
        Assert.That(n, Is.GreaterThan(30));
        Assert.That(failures, Is.Empty, $"{failures.Count} of {n} differ:\n" + string.Join("\n", failures.Take(5)));
    }
}
