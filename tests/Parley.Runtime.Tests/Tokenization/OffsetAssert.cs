using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

internal static class OffsetAssert
{
    /// <summary>Offsets start at 0, are contiguous (no gap, no overlap) and end at the text's length.</summary>
    public static void Partitions(TokenizedText t, string text)
    {
        Assert.That(t.Offsets, Has.Length.EqualTo(t.Ids.Length));
        if (text.Length == 0) return;
        // Only when a normalizer dropped everything (SentencePiece on "   ") is nothing left to cover.
        if (t.Offsets.All(o => o.Length == 0)) { Assert.That(text.Trim(' '), Is.Empty, "only all-space text may vanish"); return; }
        // Post-processor tokens sit as empty ranges at 0 and at the end; the rest tile the text.
        TextRange[] tiles = t.Offsets.SkipWhile(o => o.Length == 0 && o.Start == 0).ToArray();
        Assert.That(tiles[0].Start, Is.Zero, "first token starts the text");
        for (int i = 1; i < tiles.Length; i++)
            Assert.That(tiles[i].Start, Is.EqualTo(tiles[i - 1].End), $"offset {i} {tiles[i]} continues {tiles[i - 1]}");
        Assert.That(tiles[^1].End, Is.EqualTo(text.Length), "last token ends the text");
    }
}
