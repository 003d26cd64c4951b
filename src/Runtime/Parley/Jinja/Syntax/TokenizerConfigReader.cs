using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Parley.Jinja.Syntax
{
    /// <summary>
    /// Reads what a chat template needs from a HF <c>tokenizer_config.json</c>: its <c>chat_template</c> (a string, or
    /// one template of a list of <c>{"name", "template"}</c>) and its <c>bos_token</c>/<c>eos_token</c> (strings or
    /// <c>{"content": ...}</c>). The generator (netstandard2.0, no System.Text.Json) and the runtime share it, so a file
    /// is accepted or refused the same way at build time and at run time.
    /// </summary>
    internal static class TokenizerConfigReader
    {
        /// <summary>Returns null on success, else what is wrong with the file (to show after its path).</summary>
        /// <param name="json">The file's text.</param>
        /// <param name="name">The template to pick from a list (<c>default</c> when null).</param>
        /// <param name="template">The chat template.</param>
        /// <param name="bos">The BOS token's text, or null.</param>
        /// <param name="eos">The EOS token's text, or null.</param>
        public static string? Read(string json, string? name, out string template, out string? bos, out string? eos) =>
            Read(json, name, out template, out bos, out eos, out _);

        /// <summary>As <see cref="Read(string, string?, out string, out string?, out string?)"/>, and where the template string starts.</summary>
        /// <param name="json">The file's text.</param>
        /// <param name="name">The template to pick from a list (<c>default</c> when null).</param>
        /// <param name="template">The chat template.</param>
        /// <param name="bos">The BOS token's text, or null.</param>
        /// <param name="eos">The EOS token's text, or null.</param>
        /// <param name="templateOffset">The offset of the template string's opening quote in <paramref name="json"/> (-1 when
        /// unknown), so errors inside the template can point at the file's own characters.</param>
        public static string? Read(string json, string? name, out string template, out string? bos, out string? eos, out int templateOffset)
        {
            template = "";
            bos = eos = null;
            templateOffset = -1;
            object? root;
            var reader = new StrictJson(json);
            try
            {
                root = reader.Parse();
            }
            catch (System.FormatException e)
            {
                return "not valid JSON (" + e.Message + ")";
            }

            if (root is not Dictionary<string, object?> config)
            {
                return "not a JSON object";
            }

            bos = TokenText(config, "bos_token");
            eos = TokenText(config, "eos_token");
            if (!config.TryGetValue("chat_template", out object? chatTemplate) || chatTemplate is null)
            {
                return "no 'chat_template' (the model's tokenizer_config.json has one; a .jinja file holds the template alone)";
            }

            switch (chatTemplate)
            {
                case string text:
                    template = text;
                    templateOffset = reader.StartOf(text);
                    return null;
                case List<object?> named:
                    string wanted = name ?? "default";
                    foreach (object? item in named)
                    {
                        if (item is Dictionary<string, object?> entry && entry.TryGetValue("name", out object? n) && n as string == wanted && entry.TryGetValue("template", out object? t) && t is string s)
                        {
                            template = s;
                            templateOffset = reader.StartOf(s);
                            return null;
                        }
                    }

                    return "no chat template named '" + wanted + "' in its list of templates";
                default:
                    return "'chat_template' is " + Describe(chatTemplate) + ": it must be a string or a list of {\"name\": ..., \"template\": ...}";
            }
        }

        private static string Describe(object value) => value switch
        {
            bool => "a boolean",
            double => "a number",
            Dictionary<string, object?> => "an object",
            _ => "not text",
        };

        private static string? TokenText(Dictionary<string, object?> config, string key) =>
            config.TryGetValue(key, out object? value) ? value switch
            {
                string s => s,
                Dictionary<string, object?> d when d.TryGetValue("content", out object? c) => c as string,
                _ => null,
            } : null;

        /// <summary>RFC 8259 JSON into dictionaries, lists, strings, doubles, booleans and null; FormatException on anything else.</summary>
        private sealed class StrictJson
        {
            // Deeper nesting is no tokenizer config: refuse it rather than recurse into a stack overflow.
            private const int MaxDepth = 128;
            private readonly string _s;
            private int _p;
            private int _depth;
            private readonly List<KeyValuePair<string, int>> _stringStarts = new();

            public StrictJson(string s) => _s = s;

            /// <summary>Where the string value (this very instance) started: its opening quote, or -1.</summary>
            public int StartOf(string value)
            {
                foreach (KeyValuePair<string, int> start in _stringStarts)
                {
                    if (ReferenceEquals(start.Key, value)) return start.Value;
                }

                return -1;
            }

            public object? Parse()
            {
                object? value = Value();
                Ws();
                if (_p != _s.Length) throw Error("unexpected text after the JSON value");
                return value;
            }

            private System.FormatException Error(string message)
            {
                int line = 1, column = 1;
                for (int i = 0; i < _p && i < _s.Length; i++)
                {
                    if (_s[i] == '\n')
                    {
                        line++;
                        column = 1;
                    }
                    else
                    {
                        column++;
                    }
                }

                return new System.FormatException(message + " at line " + line + ", column " + column);
            }

            private char Peek() => _p < _s.Length ? _s[_p] : throw Error("unexpected end of the file");

            private void Ws()
            {
                while (_p < _s.Length && _s[_p] is ' ' or '\t' or '\n' or '\r') _p++;
            }

            private object? Value()
            {
                Ws();
                char c = Peek();
                switch (c)
                {
                    case '{':
                    case '[':
                        if (++_depth > MaxDepth) throw Error("nested deeper than " + MaxDepth + " levels");
                        object result = c == '{' ? Object() : Array();
                        _depth--;
                        return result;
                    case '"':
                        return String();
                    case 't':
                        return Word("true", true);
                    case 'f':
                        return Word("false", false);
                    case 'n':
                        return Word("null", null);
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return Number();
                        throw Error("unexpected '" + c + "'");
                }
            }

            private Dictionary<string, object?> Object()
            {
                _p++;
                var obj = new Dictionary<string, object?>();
                Ws();
                if (Peek() == '}')
                {
                    _p++;
                    return obj;
                }

                while (true)
                {
                    Ws();
                    if (Peek() != '"') throw Error("expected a property name in double quotes");
                    string key = String();
                    Ws();
                    Expect(':');
                    obj[key] = Value();
                    Ws();
                    if (Peek() == ',')
                    {
                        _p++;
                        continue;
                    }

                    Expect('}');
                    return obj;
                }
            }

            private List<object?> Array()
            {
                _p++;
                var list = new List<object?>();
                Ws();
                if (Peek() == ']')
                {
                    _p++;
                    return list;
                }

                while (true)
                {
                    list.Add(Value());
                    Ws();
                    if (Peek() == ',')
                    {
                        _p++;
                        continue;
                    }

                    Expect(']');
                    return list;
                }
            }

            private object? Word(string word, object? value)
            {
                if (string.CompareOrdinal(_s, _p, word, 0, word.Length) != 0 || (_p + word.Length < _s.Length && char.IsLetterOrDigit(_s[_p + word.Length])))
                {
                    throw Error("unexpected word (JSON has only true, false and null)");
                }

                _p += word.Length;
                return value;
            }

            private double Number()
            {
                int start = _p;
                if (_s[_p] == '-') _p++;
                if (!Digits()) throw Error("expected a digit");
                if (_p < _s.Length && _s[_p] == '.')
                {
                    _p++;
                    if (!Digits()) throw Error("expected a digit after '.'");
                }

                if (_p < _s.Length && _s[_p] is 'e' or 'E')
                {
                    _p++;
                    if (_p < _s.Length && _s[_p] is '+' or '-') _p++;
                    if (!Digits()) throw Error("expected a digit in the exponent");
                }

                return double.Parse(_s.Substring(start, _p - start), NumberStyles.Float, CultureInfo.InvariantCulture);
            }

            private bool Digits()
            {
                int start = _p;
                while (_p < _s.Length && _s[_p] >= '0' && _s[_p] <= '9') _p++;
                return _p > start;
            }

            private void Expect(char c)
            {
                if (_p >= _s.Length || _s[_p] != c) throw Error("expected '" + c + "'");
                _p++;
            }

            private string String()
            {
                int start = _p;
                Expect('"');
                var sb = new StringBuilder();
                while (true)
                {
                    if (_p >= _s.Length) throw Error("unterminated string");
                    char c = _s[_p++];
                    if (c == '"')
                    {
                        string value = sb.ToString();
                        if (value.Length > 0)
                        {
                            _stringStarts.Add(new KeyValuePair<string, int>(value, start));
                        }

                        return value;
                    }
                    if (c != '\\')
                    {
                        sb.Append(c);
                        continue;
                    }

                    if (_p >= _s.Length) throw Error("unterminated string");
                    char e = _s[_p++];
                    switch (e)
                    {
                        case 'n': sb.Append('\n'); break;
                        case 't': sb.Append('\t'); break;
                        case 'r': sb.Append('\r'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'u':
                            if (_p + 4 > _s.Length || !int.TryParse(_s.Substring(_p, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                            {
                                throw Error("'\\u' needs four hex digits");
                            }

                            sb.Append((char)code);
                            _p += 4;
                            break;
                        default:
                            _p--;
                            throw Error("invalid escape '\\" + e + "'");
                    }
                }
            }
        }
    }
}
