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

/// <summary>HF <c>Metaspace</c> decoder: <c>▁</c> back to spaces, dropping the first token's leading space.</summary>
internal sealed class MetaspaceDecoderStep(char replacement, bool prependsSpace) : DecoderStep
{
    public override List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(replacement, ' ');
            if (i == 0 && prependsSpace && t.StartsWith(' ')) t = t[1..];
            result.Add(t);
        }
        return result;
    }
}

/// <summary>A chain of decoder steps, ending with a plain concatenation.</summary>
internal sealed class TokenDecoder(IReadOnlyList<DecoderStep> steps)
{
    public string Decode(IReadOnlyList<string> tokens)
    {
        List<string> current = tokens as List<string> ?? tokens.ToList();
        foreach (DecoderStep step in steps) current = step.Decode(current);
        return string.Concat(current);
    }
}
