using Parley.Tokenization;

namespace Parley.Runtime.Tests.Tokenization;

internal static class OffsetAssert
{
    /// <summary>Offsets start at 0, are contiguous (no gap, no overlap) and end at the text's length.</summary>
    public static void Partitions(TokenizedText t, string text)
    {
        Assert.That(t.Offsets, Has.Length.EqualTo(t.Ids.Length));
        if (text.Length == 0) return;
        Assert.That(t.Offsets[0].Start, Is.Zero, "first token starts the text");
        for (int i = 1; i < t.Count; i++)
            Assert.That(t.Offsets[i].Start, Is.EqualTo(t.Offsets[i - 1].End), $"token {i} ({t.Ids[i]}) continues token {i - 1}");
        Assert.That(t.Offsets[^1].End, Is.EqualTo(text.Length), "last token ends the text");
    }
}
