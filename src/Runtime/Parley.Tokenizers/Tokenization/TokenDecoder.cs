using System.Globalization;
using System.Text;

namespace Parley.Tokenization;

/// <summary>One HF decoder step: a list of token strings in, a list out.</summary>
internal abstract class DecoderStep
{
    public abstract List<string> Decode(List<string> tokens);
}

/// <summary>HF <c>ByteLevel</c> decoder: token chars back to bytes, bytes to UTF-8 text (invalid bytes become U+FFFD).</summary>
internal sealed class ByteLevelDecoderStep : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string t in tokens) ByteLevelAlphabet.AppendBytes(t, bytes);
        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

/// <summary>HF <c>Replace</c> decoder with a literal pattern.</summary>
internal sealed class ReplaceDecoderStep(string pattern, string content) : DecoderStep
{
    public override List<string> Decode(List<string> tokens) =>
        tokens.Select(t => t.Replace(pattern, content, StringComparison.Ordinal)).ToList();
}

/// <summary>HF <c>Replace</c> decoder with a regex pattern.</summary>
internal sealed class RegexReplaceDecoderStep(string pattern, string content) : DecoderStep
{
    private readonly System.Text.RegularExpressions.Regex _regex = new(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public override List<string> Decode(List<string> tokens) => tokens.Select(t => _regex.Replace(t, content)).ToList();
}

/// <summary>HF <c>ByteFallback</c>: runs of <c>&lt;0xXX&gt;</c> tokens become the UTF-8 text they encode.</summary>
internal sealed class ByteFallbackDecoderStep : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string t in tokens)
        {
            if (TryParseByte(t, out byte b)) { pending.Add(b); continue; }
            Flush(pending, result);
            result.Add(t);
        }
        Flush(pending, result);
        return result;
    }

    internal static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>' &&
               byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }

    private static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        try { result.Add(strict.GetString(pending.ToArray())); }
        catch (DecoderFallbackException) { result.AddRange(Enumerable.Repeat("\uFFFD", pending.Count)); }
        pending.Clear();
    }
}

/// <summary>HF <c>Fuse</c>: joins all tokens into one.</summary>
internal sealed class FuseDecoderStep : DecoderStep
{
    public override List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>HF <c>Strip</c>: removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> chars per token.</summary>
internal sealed class StripDecoderStep(char content, int start, int stop) : DecoderStep
{
    public override List<string> Decode(List<string> tokens) => tokens.Select(Strip).ToList();

    private string Strip(string t)
    {
        int a = 0, b = t.Length;
        while (a < start && a < b && t[a] == content) a++;
        int cut = 0;
        while (cut < stop && b > a && t[b - 1] == content) { b--; cut++; }
        return t[a..b];
    }
}

/// <summary>HF <c>Metaspace</c> decoder: <c>▁</c> back to spaces; the first token's <c>▁</c> are dropped.</summary>
internal sealed class MetaspaceDecoderStep(char replacement, bool prependsSpace) : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            // As HF: in the first token every replacement char goes (not only a leading one) unless nothing was prepended.
            result.Add(i == 0 && prependsSpace ? tokens[i].Replace(replacement.ToString(), "", StringComparison.Ordinal) : tokens[i].Replace(replacement, ' '));
        }
        return result;
    }
}

/// <summary>A chain of decoder steps, ending with a plain concatenation; with no decoder at all HF joins tokens with spaces.</summary>
internal sealed class TokenDecoder(IReadOnlyList<DecoderStep> steps, bool joinWithSpaces = false)
{
    public string Decode(IReadOnlyList<string> tokens)
    {
        if (joinWithSpaces) return string.Join(' ', tokens);
        List<string> current = tokens as List<string> ?? tokens.ToList();
        foreach (DecoderStep step in steps) current = step.Decode(current);
        return string.Concat(current);
    }
}

/// <summary>HF <c>WordPiece</c> decoder: joins with spaces except before <c>##</c> continuations; optional cleanup.</summary>
internal sealed class WordPieceDecoderStep(string prefix, bool cleanup) : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (i > 0) t = t.StartsWith(prefix, StringComparison.Ordinal) ? t[prefix.Length..] : " " + t;
            result.Add(cleanup ? Cleanup.Apply(t) : t);
        }
        return result;
    }
}

/// <summary>HF <c>BPEDecoder</c>: the end-of-word suffix becomes a space (nothing after the last token).</summary>
internal sealed class BpeSuffixDecoderStep(string suffix) : DecoderStep
{
    public override List<string> Decode(List<string> tokens) =>
        tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? "" : " ", StringComparison.Ordinal)).ToList();
}

/// <summary>HF <c>CTC</c> decoder: repeated tokens collapse, the pad token goes, the word delimiter becomes a space.</summary>
internal sealed class CtcDecoderStep(string padToken, string wordDelimiter, bool cleanup) : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && tokens[i] == tokens[i - 1]) continue;
            if (tokens[i] == padToken) continue;
            string t = tokens[i].Replace(wordDelimiter, " ", StringComparison.Ordinal);
            result.Add(cleanup ? Cleanup.Apply(t).Replace(wordDelimiter, " ", StringComparison.Ordinal) : t);
        }
        return result;
    }
}

/// <summary>HF's <c>cleanup</c> of decoded English: no space before punctuation and contractions.</summary>
internal static class Cleanup
{
    public static string Apply(string s) => s
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" do not", " don't", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal).Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);
}
