namespace Parley.Generators.Parsing
{
    /// <summary>
    /// Maps an offset into a C# string literal's value to the offset of that character in the literal's source text
    /// (regular with escapes, verbatim, raw single- and multi-line), so diagnostics point at the characters.
    /// </summary>
    internal static class StringLiteralOffsets
    {
        public static int? Map(string text, string value, int valueOffset)
        {
            if (text.StartsWith("\"\"\"", System.StringComparison.Ordinal))
            {
                int quotes = 0;
                while (quotes < text.Length && text[quotes] == '"') quotes++;
                int firstNewline = text.IndexOf('\n');
                if (firstNewline < 0 || firstNewline > text.IndexOf('"', quotes))
                {
                    // Single-line raw literal: the content follows the quotes.
                    return quotes + valueOffset;
                }

                // Multi-line raw literal: the content lines start after the first newline, less the closing line's indentation.
                int closing = text.LastIndexOf('\n');
                int indentation = text.Length - quotes - closing - 1;
                int valueLine = 0, lineStart = 0;
                for (int i = 0; i < valueOffset && i < value.Length; i++)
                {
                    if (value[i] == '\n')
                    {
                        valueLine++;
                        lineStart = i + 1;
                    }
                }

                int position = firstNewline + 1;
                for (int l = 0; l < valueLine; l++)
                {
                    position = text.IndexOf('\n', position) + 1;
                    if (position <= 0) return null;
                }

                return position + indentation + (valueOffset - lineStart);
            }

            bool verbatim = text.StartsWith("@\"", System.StringComparison.Ordinal);
            int p = verbatim ? 2 : 1;
            for (int v = 0; v < valueOffset; v++)
            {
                if (p >= text.Length) return null;
                if (verbatim)
                {
                    p += text[p] == '"' ? 2 : 1;
                }
                else if (text[p] == '\\' && p + 1 < text.Length)
                {
                    char e = text[p + 1];
                    if (e == 'U')
                    {
                        // \UXXXXXXXX is one code point: two UTF-16 units of the value.
                        v++;
                        p += 10;
                    }
                    else
                    {
                        p += e == 'u' ? 6 : e == 'x' ? HexLength(text, p + 2) + 2 : 2;
                    }
                }
                else
                {
                    p++;
                }
            }

            return p;
        }

        private static int HexLength(string text, int start)
        {
            int n = 0;
            while (n < 4 && start + n < text.Length && System.Uri.IsHexDigit(text[start + n])) n++;
            return n;
        }
    }
}
