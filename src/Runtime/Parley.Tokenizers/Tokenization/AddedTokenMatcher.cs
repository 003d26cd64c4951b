using System.Buffers;

namespace Parley.Tokenization;

/// <summary>
/// Finds added tokens in raw text, leftmost-longest like HF's added vocabulary, honouring <c>lstrip</c>,
/// <c>rstrip</c> and <c>single_word</c>. Immutable; build a new one when tokens are added.
/// </summary>
internal sealed class AddedTokenMatcher
{
    public static readonly AddedTokenMatcher Empty = new([]);

    private readonly SearchValues<char> _firstChars;
    private readonly Dictionary<char, Candidates> _byFirstChar;

    // Tokens sharing a first char, looked up by content one length at a time, longest first: Gemma 3 has 6,322 added
    // tokens starting with '<', and trying each at every '<' of the text was most of its encode time.
    private sealed record Candidates(int[] LengthsLongestFirst, Dictionary<string, AddedToken>.AlternateLookup<ReadOnlySpan<char>> ByContent);

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g =>
            {
                var byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
                foreach (AddedToken t in g) byContent.TryAdd(t.Content, t);
                int[] lengths = byContent.Keys.Select(k => k.Length).Distinct().OrderDescending().ToArray();
                return new Candidates(lengths, byContent.GetAlternateLookup<ReadOnlySpan<char>>());
            });
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
        IsEmpty = _byFirstChar.Count == 0;
    }

    public bool IsEmpty { get; }

    /// <summary>
    /// Finds the first added token at or after <paramref name="from"/>. The match is widened over whitespace for
    /// <c>lstrip</c> (never before <paramref name="from"/>) and <c>rstrip</c>.
    /// </summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int from, out int matchStart, out int matchEnd, out AddedToken? token)
    {
        int pos = from;
        while (pos < text.Length)
        {
            int rel = text[pos..].IndexOfAny(_firstChars);
            if (rel < 0) break;
            pos += rel;
            Candidates group = _byFirstChar[text[pos]];
            foreach (int length in group.LengthsLongestFirst)
            {
                if (length > text.Length - pos || !group.ByContent.TryGetValue(text.Slice(pos, length), out AddedToken? candidate)) continue;
                int end = pos + length;
                if (candidate.SingleWord && !IsWordBoundary(text, pos, end)) continue;
                int start = pos;
                if (candidate.LStrip)
                    while (start > from && char.IsWhiteSpace(text[start - 1])) start--;
                if (candidate.RStrip)
                    while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
                matchStart = start;
                matchEnd = end;
                token = candidate;
                return true;
            }
            pos++;
        }
        matchStart = matchEnd = text.Length;
        token = null;
        return false;
    }

    private static bool IsWordBoundary(ReadOnlySpan<char> text, int start, int end) =>
        (start == 0 || !char.IsLetterOrDigit(text[start - 1]) && text[start - 1] != '_') &&
        (end == text.Length || !char.IsLetterOrDigit(text[end]) && text[end] != '_');
}
