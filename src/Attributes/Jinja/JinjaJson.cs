#if NET
using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Parley.Jinja;

/// <summary>JSON in and out: <see cref="JsonElement"/> to values, and HF's <c>tojson</c> (Python <c>json.dumps</c>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaJson
{
    /// <summary>Converts parsed JSON to a value as Python's <c>json.loads</c> would.</summary>
    public static JinjaValue FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var dict = new JinjaDict();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    dict.Set(property.Name, FromJson(property.Value));
                }

                return JinjaValue.FromDict(dict);
            case JsonValueKind.Array:
                var list = new List<JinjaValue>(element.GetArrayLength());
                foreach (JsonElement item in element.EnumerateArray())
                {
                    list.Add(FromJson(item));
                }

                return JinjaValue.FromList(list);
            case JsonValueKind.String:
                return JinjaValue.FromString(element.GetString());
            case JsonValueKind.Number:
                string raw = element.GetRawText();
                if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
                {
                    return JinjaValue.FromInt(integer);
                }

                return JinjaValue.FromFloat(element.GetDouble());
            case JsonValueKind.True:
                return JinjaValue.True;
            case JsonValueKind.False:
                return JinjaValue.False;
            case JsonValueKind.Null:
                return JinjaValue.None;
            default:
                return default;
        }
    }

    /// <summary>Python's <c>json.dumps(value, ensure_ascii, indent, separators, sort_keys)</c>.</summary>
    public static string Dumps(JinjaValue value, bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(sb, value, ensureAscii, indent, itemSeparator, keySeparator, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JinjaValue value, bool ascii, string? indent, string itemSep, string keySep, bool sortKeys, int depth)
    {
        switch (value.Kind)
        {
            case JinjaKind.None: sb.Append("null"); return;
            case JinjaKind.Bool: sb.Append(value.AsBool ? "true" : "false"); return;
            case JinjaKind.Int: sb.Append(value.AsInt.ToString(CultureInfo.InvariantCulture)); return;
            case JinjaKind.Float:
                double d = value.AsDouble;
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : JinjaValue.FormatFloat(d));
                return;
            case JinjaKind.String: WriteString(sb, value.AsString, ascii); return;
            case JinjaKind.List:
            case JinjaKind.Tuple:
                List<JinjaValue> items = value.AsList;
                sb.Append('[');
                for (int i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    NewLine(sb, indent, depth + 1);
                    Write(sb, items[i], ascii, indent, itemSep, keySep, sortKeys, depth + 1);
                }

                if (items.Count > 0) NewLine(sb, indent, depth);
                sb.Append(']');
                return;
            case JinjaKind.Dict:
            case JinjaKind.Namespace:
                IEnumerable<KeyValuePair<JinjaValue, JinjaValue>> pairs = value.AsDict;
                if (sortKeys)
                {
                    pairs = pairs.OrderBy(p => KeyString(p.Key), StringComparer.Ordinal).ToList();
                }

                sb.Append('{');
                bool first = true;
                foreach (KeyValuePair<JinjaValue, JinjaValue> pair in pairs)
                {
                    if (!first) sb.Append(itemSep);
                    first = false;
                    NewLine(sb, indent, depth + 1);
                    WriteString(sb, KeyString(pair.Key), ascii);
                    sb.Append(keySep);
                    Write(sb, pair.Value, ascii, indent, itemSep, keySep, sortKeys, depth + 1);
                }

                if (!first) NewLine(sb, indent, depth);
                sb.Append('}');
                return;
            case JinjaKind.Object when value.AsObject is JinjaGenerator:
                throw new TemplateException("TypeError: Object of type generator is not JSON serializable");
            case JinjaKind.Undefined:
                throw new TemplateException("TypeError: Object of type Undefined is not JSON serializable");
            default:
                throw new TemplateException("TypeError: Object of type " + value.Kind + " is not JSON serializable");
        }
    }

    private static string KeyString(JinjaValue key) => key.Kind switch
    {
        JinjaKind.String => key.AsString,
        JinjaKind.Bool => key.AsBool ? "true" : "false",
        JinjaKind.None => "null",
        JinjaKind.Float => JinjaValue.FormatFloat(key.AsDouble),
        JinjaKind.Int => key.AsInt.ToString(CultureInfo.InvariantCulture),
        _ => throw new TemplateException("TypeError: keys must be str, int, float, bool or None, not " + key.Kind),
    };

    private static bool NeedsEscape(string s, bool ascii)
    {
        foreach (char c in s)
        {
            if (c < 0x20 || c == '"' || c == '\\' || (ascii && c > 0x7e)) return true;
        }

        return false;
    }

    private static void NewLine(StringBuilder sb, string? indent, int depth)
    {
        if (indent is null) return;
        sb.Append('\n');
        for (int d = 0; d < depth; d++) sb.Append(indent);
    }

    private static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        if (!NeedsEscape(s, ascii))
        {
            sb.Append(s).Append('"');
            return;
        }

        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7e))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
#endif
