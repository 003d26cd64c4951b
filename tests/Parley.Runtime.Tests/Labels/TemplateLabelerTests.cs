using Parley.Labels;
using Parley.Runtime.Tests.Collation;
using CsCheck;

namespace Parley.Runtime.Tests.Labels;

public class TemplateLabelerTests
{
    // "<|user|>Hi<|assistant|> Yes<|end|>" — the answer " Yes<|end|>" is [23, 34); a SentencePiece-like token
    // "▁Yes" spans the prompt's trailing space [22, 26) and straddles the range start.
    private static readonly int[] Ids = [1, 10, 11, 12, 13, 14, 2];
    private static readonly (int, int)[] Offsets = [(0, 0), (0, 8), (8, 10), (10, 22), (22, 26), (26, 33), (33, 33)];
    private static readonly TextRange[] Answer = [TextRange.FromBounds(23, 33)];

    // The post-processor's EOS at (33, 33) directly follows trained text, so it is trained too.
    [TestCase(StraddleRule.Overlap, new[] { -100, -100, -100, -100, 13, 14, 2 })]
    [TestCase(StraddleRule.Contained, new[] { -100, -100, -100, -100, -100, 14, 2 })]
    [TestCase(StraddleRule.Start, new[] { -100, -100, -100, -100, -100, 14, 2 })]
    public void StraddlingTokensFollowTheRule(StraddleRule rule, int[] expected)
    {
        var labels = new int[Ids.Length];
        int trained = TemplateLabeler.Apply<int>(Ids, Offsets, Answer, labels, rule);
        Assert.That(labels, Is.EqualTo(expected));
        Assert.That(trained, Is.EqualTo(expected.Count(l => l != -100)));
    }

    [Test]
    public void StartRuleTrainsATokenStartingInsideAndEndingOutside()
    {
        var labels = new long[2];
        TemplateLabeler.Apply<long>([5, 6], [(0, 4), (4, 8)], [TextRange.FromBounds(2, 6)], labels, StraddleRule.Start);
        Assert.That(labels, Is.EqualTo(new long[] { -100, 6 }));
        TemplateLabeler.Apply<long>([5, 6], [(0, 4), (4, 8)], [TextRange.FromBounds(0, 6)], labels, StraddleRule.Start);
        Assert.That(labels, Is.EqualTo(new long[] { 5, 6 }));
    }

    [Test]
    public void ContainedAcceptsAdjacentRangesAndOffsetsMayGoBackwards()
    {
        var labels = new int[3];
        TemplateLabeler.Apply<int>([5, 6, 7], [(0, 4), (2, 6), (0, 1)], [TextRange.FromBounds(0, 3), TextRange.FromBounds(3, 5)], labels, StraddleRule.Contained);
        Assert.That(labels, Is.EqualTo(new[] { 5, -100, 7 }));
    }

    [Test]
    public void EmptySpanTokensFollowTheTokenBeforeThem()
    {
        // BOS (0,0); "a" [0,1); emoji split in 3 byte pieces: [1,3) then two empty spans at 3; "b" [3,4); EOS (4,4).
        int[] ids = [1, 10, 11, 12, 13, 14, 2];
        (int, int)[] offsets = [(0, 0), (0, 1), (1, 3), (3, 3), (3, 3), (3, 4), (4, 4)];
        var labels = new int[ids.Length];
        TemplateLabeler.Apply<int>(ids, offsets, [TextRange.FromBounds(1, 3)], labels);
        Assert.That(labels, Is.EqualTo(new[] { -100, -100, 11, 12, 13, -100, -100 }));
        TemplateLabeler.Apply<int>(ids, offsets, [TextRange.FromBounds(0, 4)], labels);
        Assert.That(labels, Is.EqualTo(new[] { -100, 10, 11, 12, 13, 14, 2 }));
    }

    [Test]
    public void Phi3EmojiBytesAreAllTrained()
    {
        var phi3 = Parley.Tokenization.ParleyTokenizer.FromTokenizerJson(Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct"));
        const string prompt = "<|user|>\nHi<|end|>\n<|assistant|>\n";
        const string text = prompt + "Hello 🙂!<|end|>\n";
        var encoded = phi3.Encode(text, addSpecialTokens: true);
        Assert.That(encoded.Offsets.Count(o => o.Length == 0), Is.GreaterThanOrEqualTo(4), "BOS and the emoji's byte pieces 2..4 have empty ranges");
        var labels = new int[encoded.Count];
        TemplateLabeler.Apply<int>(encoded.Ids, encoded.Offsets, [TextRange.FromBounds(prompt.Length, text.Length)], labels);
        Assert.That(phi3.Decode(labels.Where(l => l != -100).ToArray()), Is.EqualTo("Hello 🙂!<|end|>"));
    }

    [Test]
    public void BadInputsSayWhatIsWrong()
    {
        var labels = new int[2];
        var ex = Assert.Throws<ArgumentException>(() => TemplateLabeler.Apply<int>([1, 2], [(0, 1)], [], labels));
        Assert.That(ex!.Message, Does.Contain("2 ids but 1 offsets"));
        ex = Assert.Throws<ArgumentException>(() => TemplateLabeler.Apply<int>([1, 2], [(0, 1), (1, 2)], [TextRange.FromBounds(3, 5), TextRange.FromBounds(0, 4)], labels));
        Assert.That(ex!.Message, Does.Contain("sorted"));
        ex = Assert.Throws<ArgumentException>(() => TemplateLabeler.Apply<int>([1, 2], [(0, 1), (3, 2)], [], labels));
        Assert.That(ex!.Message, Does.Contain("Token 1 has an inverted offset"));
    }

    [Test]
    public void LabelsAreIgnoreOrTheIdAndMatchABruteForceOverlap()
    {
        var gen = Gen.Select(Gen.Int[0, 6].Array[1, 40], Gen.Int[0, 5].Array[0, 8]);
        Property.ForAll(gen, t =>
        {
            var (widths, gaps) = t;
            var offsets = new (int, int)[widths.Length];
            var ids = new int[widths.Length];
            int at = 0;
            for (int i = 0; i < widths.Length; i++) { offsets[i] = (at, at + widths[i]); at += widths[i]; ids[i] = 1000 + i; }
            var ranges = new List<TextRange>();
            int pos = 0;
            for (int k = 0; k + 1 < gaps.Length; k += 2)
            {
                int start = pos + gaps[k];
                int end = start + gaps[k + 1];
                ranges.Add(TextRange.FromBounds(start, end));
                pos = end;
            }
            var labels = new int[ids.Length];
            TemplateLabeler.Apply<int>(ids, offsets, ranges.ToArray(), labels);
            for (int i = 0; i < ids.Length; i++)
            {
                var (s, e) = offsets[i];
                bool expected = s < e
                    ? ranges.Any(r => r.Start < e && s < r.End && r.Length > 0)
                    : i > 0 && labels[i - 1] != -100 && offsets[i - 1].Item2 == s;
                Assert.That(labels[i], Is.EqualTo(expected ? ids[i] : -100), $"token {i} {offsets[i]}");
            }
        });
    }
}
