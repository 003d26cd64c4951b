using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Parley.Jinja.Syntax
{
    /// <summary>Kinds of tokens inside tags.</summary>
    internal enum JinjaTokenKind
    {
        /// <summary>Literal template text.</summary>
        Data,
        /// <summary><c>{{</c>.</summary>
        VariableBegin,
        /// <summary><c>}}</c>.</summary>
        VariableEnd,
        /// <summary><c>{%</c>.</summary>
        BlockBegin,
        /// <summary><c>%}</c>.</summary>
        BlockEnd,
        /// <summary>A name.</summary>
        Name,
        /// <summary>A string literal (value unescaped).</summary>
        String,
        /// <summary>An integer literal.</summary>
        Integer,
        /// <summary>A float literal.</summary>
        Float,
        /// <summary>An operator or punctuation.</summary>
        Operator,
        /// <summary>End of the template.</summary>
        End,
    }

    /// <summary>One token with its 1-based line and column in the template.</summary>
    internal sealed class JinjaToken
    {
        /// <summary>Creates a token.</summary>
        public JinjaToken(JinjaTokenKind kind, string value, int line, int column)
        {
            Kind = kind;
            Value = value;
            Line = line;
            Column = column;
        }

        /// <summary>The kind.</summary>
        public JinjaTokenKind Kind { get; }

        /// <summary>The text (unescaped for strings).</summary>
        public string Value { get; }

        /// <summary>1-based line.</summary>
        public int Line { get; }

        /// <summary>1-based column.</summary>
        public int Column { get; }

        /// <inheritdoc/>
        public override string ToString() => Kind + " '" + Value + "' at " + Line + ":" + Column;
    }

    /// <summary>A template error with its 1-based line and column.</summary>
    internal sealed class JinjaSyntaxException : System.Exception
    {
        /// <summary>Creates the error.</summary>
        public JinjaSyntaxException(string message, int line, int column, bool unsupported = false, int length = 1) : base(message)
        {
            Line = line;
            Column = column;
            Unsupported = unsupported;
            Length = length;
        }

        /// <summary>Characters the error covers (at least one).</summary>
        public int Length { get; }

        /// <summary>1-based line.</summary>
        public int Line { get; }

        /// <summary>1-based column.</summary>
        public int Column { get; }

        /// <summary>The limit the template exceeds (<c>MaxNesting</c>), or null for a plain syntax error.</summary>
        public string? Limit { get; set; }

        /// <summary>Whether the template is valid Jinja using a feature Parley does not compile.</summary>
        public bool Unsupported { get; }
    }

    /// <summary>
    /// Splits a template into tokens the way jinja2's lexer does in HF's environment: <c>trim_blocks</c>,
    /// <c>lstrip_blocks</c>, whitespace control (<c>-</c>, <c>+</c>), comments and raw blocks, newline normalisation
    /// and one trailing newline dropped.
    /// </summary>
    internal static class JinjaLexer
    {
        /// <summary>jinja2's source normalisation: <c>\r\n</c> and <c>\r</c> become <c>\n</c>; one trailing newline is dropped.</summary>
        public static string Normalize(string source)
        {
            string text = source.Replace("\r\n", "\n").Replace('\r', '\n');
            return text.EndsWith("\n", System.StringComparison.Ordinal) ? text.Substring(0, text.Length - 1) : text;
        }

        /// <summary>Tokenizes <paramref name="source"/>.</summary>
        /// <exception cref="JinjaSyntaxException">An unterminated tag, string or comment, or an unexpected character.</exception>
        public static List<JinjaToken> Tokenize(string source)
        {
            string s = Normalize(source);
            var tokens = new List<JinjaToken>();
            int pos = 0;
            bool lineStarting = true;
            while (pos < s.Length)
            {
                int tag = FindTagStart(s, pos, out char kind);
                string text = tag < 0 ? s.Substring(pos) : s.Substring(pos, tag - pos);
                if (tag < 0)
                {
                    Add(tokens, s, JinjaTokenKind.Data, text, pos);
                    break;
                }

                char sign = tag + 2 < s.Length && (s[tag + 2] == '-' || s[tag + 2] == '+') ? s[tag + 2] : '\0';
                int rawBodyStart = 0;
                bool isRaw = kind == '%' && IsRawStart(s, tag, out rawBodyStart);
                if (sign == '-')
                {
                    text = text.TrimEnd(WhiteSpace);
                }
                else if (sign != '+' && kind != '{')
                {
                    int lineStart = text.LastIndexOf('\n') + 1;
                    if ((lineStart > 0 || lineStarting) && lineStart < text.Length && IsAllWhiteSpace(text, lineStart))
                    {
                        text = text.Substring(0, lineStart);
                    }
                }

                if (text.Length > 0)
                {
                    Add(tokens, s, JinjaTokenKind.Data, text, pos);
                }

                if (kind == '#')
                {
                    int end = s.IndexOf("#}", tag + 2, System.StringComparison.Ordinal);
                    if (end < 0)
                    {
                        throw Error(s, tag, "Missing end of comment tag");
                    }

                    pos = end + 2;
                    char endSign = s[end - 1];
                    if (endSign == '-' && end - 1 >= tag + 2 + (sign == '\0' ? 0 : 1))
                    {
                        pos = SkipWhiteSpace(s, pos);
                    }
                    else if (endSign != '+' && pos < s.Length && s[pos] == '\n')
                    {
                        pos++;
                    }

                    lineStarting = pos > 0 && s[pos - 1] == '\n';
                    continue;
                }

                if (isRaw)
                {
                    pos = LexRaw(s, tag, rawBodyStart, tokens);
                    lineStarting = pos > 0 && s[pos - 1] == '\n';
                    continue;
                }

                pos = LexTag(s, tag, kind, sign, tokens);
                lineStarting = pos > 0 && s[pos - 1] == '\n';
            }

            tokens.Add(new JinjaToken(JinjaTokenKind.End, "", LineOf(s, s.Length), ColumnOf(s, s.Length)));
            return tokens;
        }

        private static readonly char[] WhiteSpace = { ' ', '\t', '\n', '\r', '\f', '\v' };

        private static bool IsWs(char c) => c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';

        private static bool IsAllWhiteSpace(string text, int from)
        {
            for (int i = from; i < text.Length; i++)
            {
                if (!IsWs(text[i]))
                {
                    return false;
                }
            }

            return true;
        }

        private static int SkipWhiteSpace(string s, int pos)
        {
            while (pos < s.Length && IsWs(s[pos]))
            {
                pos++;
            }

            return pos;
        }

        private static int FindTagStart(string s, int from, out char kind)
        {
            for (int i = from; i + 1 < s.Length; i++)
            {
                if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#'))
                {
                    kind = s[i + 1];
                    return i;
                }
            }

            kind = '\0';
            return -1;
        }

        private static bool IsRawStart(string s, int tag, out int bodyStart)
        {
            bodyStart = 0;
            int p = tag + 2;
            if (p < s.Length && (s[p] == '-' || s[p] == '+'))
            {
                p++;
            }

            p = SkipWhiteSpace(s, p);
            if (string.CompareOrdinal(s, p, "raw", 0, 3) != 0 || (p + 3 < s.Length && IsNameChar(s[p + 3])))
            {
                return false;
            }

            p = SkipWhiteSpace(s, p + 3);
            char endSign = '\0';
            if (p < s.Length && (s[p] == '-' || s[p] == '+'))
            {
                endSign = s[p];
                p++;
            }

            if (string.CompareOrdinal(s, p, "%}", 0, 2) != 0)
            {
                return false;
            }

            p += 2;
            if (endSign == '-')
            {
                p = SkipWhiteSpace(s, p);
            }
            else if (endSign != '+' && p < s.Length && s[p] == '\n')
            {
                p++;
            }

            bodyStart = p;
            return true;
        }

        private static int LexRaw(string s, int tag, int bodyStart, List<JinjaToken> tokens)
        {
            int search = bodyStart;
            while (true)
            {
                int open = s.IndexOf("{%", search, System.StringComparison.Ordinal);
                if (open < 0)
                {
                    throw Error(s, tag, "Missing end of raw directive");
                }

                int p = open + 2;
                char sign = '\0';
                if (p < s.Length && (s[p] == '-' || s[p] == '+'))
                {
                    sign = s[p];
                    p++;
                }

                p = SkipWhiteSpace(s, p);
                if (string.CompareOrdinal(s, p, "endraw", 0, 6) == 0)
                {
                    p = SkipWhiteSpace(s, p + 6);
                    char endSign = '\0';
                    if (p < s.Length && (s[p] == '-' || s[p] == '+'))
                    {
                        endSign = s[p];
                        p++;
                    }

                    if (string.CompareOrdinal(s, p, "%}", 0, 2) == 0)
                    {
                        string body = s.Substring(bodyStart, open - bodyStart);
                        if (sign == '-')
                        {
                            body = body.TrimEnd(WhiteSpace);
                        }

                        if (body.Length > 0)
                        {
                            Add(tokens, s, JinjaTokenKind.Data, body, bodyStart);
                        }

                        p += 2;
                        if (endSign == '-')
                        {
                            p = SkipWhiteSpace(s, p);
                        }
                        else if (endSign != '+' && p < s.Length && s[p] == '\n')
                        {
                            p++;
                        }

                        return p;
                    }
                }

                search = open + 2;
            }
        }

        private static int LexTag(string s, int tag, char kind, char sign, List<JinjaToken> tokens)
        {
            bool variable = kind == '{';
            Add(tokens, s, variable ? JinjaTokenKind.VariableBegin : JinjaTokenKind.BlockBegin, variable ? "{{" : "{%", tag);
            int pos = tag + 2 + (sign == '\0' ? 0 : 1);
            var brackets = new Stack<char>();
            while (true)
            {
                pos = SkipWhiteSpace(s, pos);
                if (pos >= s.Length)
                {
                    throw Error(s, tag, variable ? "Unexpected end of template: missing '}}'" : "Unexpected end of template: missing '%}'");
                }

                // Tag end (only with no open brackets, like jinja2's balancing).
                if (brackets.Count == 0)
                {
                    char close = variable ? '}' : '%';
                    int p = pos;
                    char endSign = '\0';
                    if ((s[p] == '-' || s[p] == '+') && p + 2 < s.Length + 0 && p + 1 < s.Length && s[p + 1] == close && p + 2 < s.Length && s[p + 2] == '}')
                    {
                        endSign = s[p];
                        p++;
                    }

                    if (p + 1 < s.Length && s[p] == close && s[p + 1] == '}')
                    {
                        Add(tokens, s, variable ? JinjaTokenKind.VariableEnd : JinjaTokenKind.BlockEnd, variable ? "}}" : "%}", pos);
                        p += 2;
                        if (endSign == '-')
                        {
                            p = SkipWhiteSpace(s, p);
                        }
                        else if (!variable && endSign != '+' && p < s.Length && s[p] == '\n')
                        {
                            p++;
                        }

                        return p;
                    }
                }

                char c = s[pos];
                if (char.IsLetter(c) || c == '_')
                {
                    int start = pos;
                    while (pos < s.Length && IsNameChar(s[pos]))
                    {
                        pos++;
                    }

                    Add(tokens, s, JinjaTokenKind.Name, s.Substring(start, pos - start), start);
                    continue;
                }

                if (c >= '0' && c <= '9')
                {
                    pos = LexNumber(s, pos, tokens);
                    continue;
                }

                if (c == '\'' || c == '"')
                {
                    pos = LexString(s, pos, tokens);
                    continue;
                }

                string op = MatchOperator(s, pos);
                if (op.Length == 0)
                {
                    throw Error(s, pos, "Unexpected char '" + c + "'");
                }

                if (op == "(" || op == "[" || op == "{")
                {
                    brackets.Push(op[0]);
                }
                else if (op == ")" || op == "]" || op == "}")
                {
                    char expected = op == ")" ? '(' : op == "]" ? '[' : '{';
                    if (brackets.Count == 0 || brackets.Peek() != expected)
                    {
                        throw Error(s, pos, "Unexpected '" + op + "'");
                    }

                    brackets.Pop();
                }

                Add(tokens, s, JinjaTokenKind.Operator, op, pos);
                pos += op.Length;
            }
        }

        private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c == '_';

        private static readonly string[] Operators =
        {
            "//", "**", "==", "!=", ">=", "<=",
            "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";",
        };

        private static string MatchOperator(string s, int pos)
        {
            foreach (string op in Operators)
            {
                if (string.CompareOrdinal(s, pos, op, 0, op.Length) == 0)
                {
                    return op;
                }
            }

            return "";
        }

        private static int LexNumber(string s, int pos, List<JinjaToken> tokens)
        {
            int start = pos;
            while (pos < s.Length && (char.IsDigit(s[pos]) || s[pos] == '_'))
            {
                pos++;
            }

            bool isFloat = false;
            bool afterDot = start > 0 && s[start - 1] == '.';
            if (!afterDot && pos + 1 < s.Length && s[pos] == '.' && char.IsDigit(s[pos + 1]))
            {
                isFloat = true;
                pos++;
                while (pos < s.Length && (char.IsDigit(s[pos]) || s[pos] == '_'))
                {
                    pos++;
                }
            }

            if (!afterDot && pos < s.Length && (s[pos] == 'e' || s[pos] == 'E'))
            {
                int p = pos + 1;
                if (p < s.Length && (s[p] == '+' || s[p] == '-'))
                {
                    p++;
                }

                if (p < s.Length && char.IsDigit(s[p]))
                {
                    isFloat = true;
                    pos = p;
                    while (pos < s.Length && char.IsDigit(s[pos]))
                    {
                        pos++;
                    }
                }
            }

            string text = s.Substring(start, pos - start).Replace("_", "");
            Add(tokens, s, isFloat ? JinjaTokenKind.Float : JinjaTokenKind.Integer, text, start);
            return pos;
        }

        private static int LexString(string s, int pos, List<JinjaToken> tokens)
        {
            char quote = s[pos];
            var value = new StringBuilder();
            int p = pos + 1;
            while (true)
            {
                if (p >= s.Length)
                {
                    throw Error(s, pos, "Unterminated string");
                }

                char c = s[p];
                if (c == quote)
                {
                    p++;
                    break;
                }

                if (c == '\\' && p + 1 < s.Length)
                {
                    char e = s[p + 1];
                    p += 2;
                    switch (e)
                    {
                        case 'n': value.Append('\n'); break;
                        case 't': value.Append('\t'); break;
                        case 'r': value.Append('\r'); break;
                        case 'b': value.Append('\b'); break;
                        case 'f': value.Append('\f'); break;
                        case 'v': value.Append('\v'); break;
                        case 'a': value.Append('\a'); break;
                        case '0': value.Append('\0'); break;
                        case '\\': value.Append('\\'); break;
                        case '\'': value.Append('\''); break;
                        case '"': value.Append('"'); break;
                        case '\n': break;
                        case 'x':
                        case 'u':
                        case 'U':
                            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                            if (p + digits <= s.Length && int.TryParse(s.Substring(p, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                            {
                                value.Append(char.ConvertFromUtf32(code));
                                p += digits;
                            }
                            else
                            {
                                value.Append('\\').Append(e);
                            }

                            break;
                        default: value.Append('\\').Append(e); break;
                    }

                    continue;
                }

                value.Append(c);
                p++;
            }

            Add(tokens, s, JinjaTokenKind.String, value.ToString(), pos);
            return p;
        }

        private static void Add(List<JinjaToken> tokens, string s, JinjaTokenKind kind, string value, int offset) =>
            tokens.Add(new JinjaToken(kind, value, LineOf(s, offset), ColumnOf(s, offset)));

        // Line starts of the template being lexed (per thread: the generator may lex templates in parallel).
        [System.ThreadStatic]
        private static List<int>? _lineStarts;

        [System.ThreadStatic]
        private static string? _lineSource;

        private static int LineOf(string s, int offset)
        {
            if (!ReferenceEquals(_lineSource, s) || _lineStarts is null)
            {
                _lineStarts = new List<int> { 0 };
                for (int i = 0; i < s.Length; i++)
                {
                    if (s[i] == '\n')
                    {
                        _lineStarts.Add(i + 1);
                    }
                }

                _lineSource = s;
            }

            int index = _lineStarts.BinarySearch(offset);
            return index >= 0 ? index + 1 : ~index;
        }

        private static int ColumnOf(string s, int offset)
        {
            int line = LineOf(s, offset);
            return offset - _lineStarts![line - 1] + 1;
        }

        private static JinjaSyntaxException Error(string s, int offset, string message) =>
            new(message, LineOf(s, offset), ColumnOf(s, offset));
    }
}
