using System.Collections.Generic;
using System.Text;

namespace Parley.Generators.Parsing
{
    /// <summary>One piece of a template string: literal text or a <c>{name}</c> placeholder.</summary>
    internal readonly struct TemplatePiece
    {
        public TemplatePiece(string text, bool isPlaceholder, int offset, int length)
        {
            Text = text;
            IsPlaceholder = isPlaceholder;
            Offset = offset;
            Length = length;
        }

        /// <summary>Literal text (braces unescaped), or the placeholder's name.</summary>
        public string Text { get; }

        public bool IsPlaceholder { get; }

        /// <summary>Where the piece starts in the original string.</summary>
        public int Offset { get; }

        /// <summary>How many characters of the original string the piece spans.</summary>
        public int Length { get; }
    }

    /// <summary>A malformed template string: what is wrong and where.</summary>
    internal readonly struct PlaceholderError
    {
        public PlaceholderError(string message, int offset, int length)
        {
            Message = message;
            Offset = offset;
            Length = length;
        }

        public string Message { get; }

        public int Offset { get; }

        public int Length { get; }
    }

    /// <summary>Splits template strings such as <c>"&lt;|end|&gt;{eos}\n"</c> into literal and placeholder pieces.</summary>
    internal static class PlaceholderText
    {
        public static bool TrySplit(string text, List<TemplatePiece> pieces, out PlaceholderError error)
        {
            var literal = new StringBuilder();
            int literalStart = 0;
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '{' && i + 1 < text.Length && text[i + 1] == '{')
                {
                    literal.Append('{');
                    i += 2;
                }
                else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
                {
                    literal.Append('}');
                    i += 2;
                }
                else if (c == '{')
                {
                    int close = text.IndexOf('}', i + 1);
                    int open = text.IndexOf('{', i + 1);
                    if (close < 0 || (open >= 0 && open < close))
                    {
                        error = new PlaceholderError("Unclosed '{'", i, 1);
                        return false;
                    }

                    Flush(literal, literalStart, i, pieces);
                    string name = text.Substring(i + 1, close - i - 1);
                    pieces.Add(new TemplatePiece(name, isPlaceholder: true, i, close - i + 1));
                    i = close + 1;
                    literalStart = i;
                }
                else if (c == '}')
                {
                    error = new PlaceholderError("Unmatched '}'", i, 1);
                    return false;
                }
                else
                {
                    literal.Append(c);
                    i++;
                }
            }

            Flush(literal, literalStart, text.Length, pieces);
            error = default;
            return true;
        }

        private static void Flush(StringBuilder literal, int start, int end, List<TemplatePiece> pieces)
        {
            if (literal.Length > 0)
            {
                pieces.Add(new TemplatePiece(literal.ToString(), isPlaceholder: false, start, end - start));
                literal.Clear();
            }
        }
    }
}
