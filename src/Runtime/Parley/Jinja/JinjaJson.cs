#if NET
using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
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
                // Read when first needed: a tool schema that is only written back with `tojson` is never converted.
                return JinjaValue.FromDict(JinjaDict.FromJsonObject(element));
            case JsonValueKind.Array:
                var list = new List<JinjaValue>(element.GetArrayLength());
                foreach (JsonElement item in element.EnumerateArray())
                {
                    list.Add(FromJson(item));
                }

                return JinjaValue.FromList(list);
            case JsonValueKind.String:
                ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(element);
                return JinjaValue.FromString(Known(raw.Slice(1, raw.Length - 2)) ?? element.GetString());
            case JsonValueKind.Number:
                // An int when written without a fraction or exponent (as json.loads reads it), from the raw bytes.
                if (JsonMarshal.GetRawUtf8Value(element).IndexOfAny("."u8 + "eE"u8) < 0 && element.TryGetInt64(out long integer))
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

    /// <summary>Sets the properties of <paramref name="json"/> (an object) into <paramref name="dict"/>.</summary>
    internal static void Fill(JinjaDict dict, JsonElement json)
    {
        foreach (JsonProperty property in json.EnumerateObject())
        {
            dict.Set(Known(JsonMarshal.GetRawUtf8PropertyName(property)) ?? property.Name, FromJson(property.Value));
        }
    }

    // The names and values chat variables repeat in every message and tool (keys, roles, JSON-schema types) come back
    // as the interned literals rather than as new strings: fewer allocations, and lookups by the generated code's
    // literals then match by reference. Raw UTF-8 is compared, so an escaped spelling simply is not recognized.
    private static string? Known(ReadOnlySpan<byte> utf8) => utf8.Length switch
    {
        2 => utf8.SequenceEqual("id"u8) ? "id" : null,
        4 => utf8.SequenceEqual("role"u8) ? "role" : utf8.SequenceEqual("name"u8) ? "name" : utf8.SequenceEqual("type"u8) ? "type"
            : utf8.SequenceEqual("user"u8) ? "user" : utf8.SequenceEqual("tool"u8) ? "tool" : utf8.SequenceEqual("enum"u8) ? "enum"
            : utf8.SequenceEqual("text"u8) ? "text" : null,
        5 => utf8.SequenceEqual("items"u8) ? "items" : utf8.SequenceEqual("array"u8) ? "array" : null,
        6 => utf8.SequenceEqual("system"u8) ? "system" : utf8.SequenceEqual("object"u8) ? "object" : utf8.SequenceEqual("string"u8) ? "string"
            : utf8.SequenceEqual("number"u8) ? "number" : null,
        7 => utf8.SequenceEqual("content"u8) ? "content" : utf8.SequenceEqual("integer"u8) ? "integer" : utf8.SequenceEqual("boolean"u8) ? "boolean" : null,
        8 => utf8.SequenceEqual("function"u8) ? "function" : utf8.SequenceEqual("required"u8) ? "required" : null,
        9 => utf8.SequenceEqual("assistant"u8) ? "assistant" : utf8.SequenceEqual("arguments"u8) ? "arguments" : null,
        10 => utf8.SequenceEqual("parameters"u8) ? "parameters" : utf8.SequenceEqual("properties"u8) ? "properties" : utf8.SequenceEqual("tool_calls"u8) ? "tool_calls" : null,
        11 => utf8.SequenceEqual("description"u8) ? "description" : null,
        12 => utf8.SequenceEqual("tool_call_id"u8) ? "tool_call_id" : null,
        _ => null,
    };

    /// <summary>Python's <c>json.dumps(value, ensure_ascii, indent, separators, sort_keys)</c>.</summary>
    public static string Dumps(JinjaValue value, bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        // `tools | tojson` runs on every rendering: the thread's builder is reused, so only the result is allocated.
        StringBuilder sb = _builder ?? new StringBuilder(1024);
        _builder = null;
        try
        {
            Write(sb, value, ensureAscii, indent, itemSeparator, keySeparator, sortKeys, 0);
            return sb.ToString();
        }
        finally
        {
            sb.Clear();
            if (sb.Capacity <= 64 * 1024) _builder = sb;
        }
    }

    [ThreadStatic]
    private static StringBuilder? _builder;

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
            case JinjaKind.Dict when !sortKeys && value.AsDict.TryGetPendingJson(out JsonElement json) && WritesAsIs(json):
                WriteJson(sb, json, ascii, indent, itemSep, keySep, depth);
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

    // Whether a JSON object can be written as it stands: json.loads keeps the last of repeated names (at the first one's
    // place), which only the converted dict reproduces, so objects with a repeated (or escaped, which may hide a repeat)
    // name anywhere inside are converted first.
    private static bool WritesAsIs(JsonElement json)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                int count = 0;
                foreach (JsonProperty property in json.EnumerateObject())
                {
                    ReadOnlySpan<byte> name = JsonMarshal.GetRawUtf8PropertyName(property);
                    if (name.IndexOf((byte)'\\') >= 0 || !WritesAsIs(property.Value)) return false;
                    int seen = 0;
                    foreach (JsonProperty earlier in json.EnumerateObject())
                    {
                        if (seen++ == count) break;
                        if (JsonMarshal.GetRawUtf8PropertyName(earlier).SequenceEqual(name)) return false;
                    }

                    count++;
                }

                return true;
            case JsonValueKind.Array:
                foreach (JsonElement item in json.EnumerateArray())
                {
                    if (!WritesAsIs(item)) return false;
                }

                return true;
            default:
                return true;
        }
    }

    // json.dumps of what json.loads would make of `json`, written from the JSON itself (see WritesAsIs).
    private static void WriteJson(StringBuilder sb, JsonElement json, bool ascii, string? indent, string itemSep, string keySep, int depth)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                sb.Append('{');
                bool first = true;
                foreach (JsonProperty property in json.EnumerateObject())
                {
                    if (!first) sb.Append(itemSep);
                    first = false;
                    NewLine(sb, indent, depth + 1);
                    WriteString(sb, Known(JsonMarshal.GetRawUtf8PropertyName(property)) ?? property.Name, ascii);
                    sb.Append(keySep);
                    WriteJson(sb, property.Value, ascii, indent, itemSep, keySep, depth + 1);
                }

                if (!first) NewLine(sb, indent, depth);
                sb.Append('}');
                return;
            case JsonValueKind.Array:
                sb.Append('[');
                int i = 0;
                foreach (JsonElement item in json.EnumerateArray())
                {
                    if (i++ > 0) sb.Append(itemSep);
                    NewLine(sb, indent, depth + 1);
                    WriteJson(sb, item, ascii, indent, itemSep, keySep, depth + 1);
                }

                if (i > 0) NewLine(sb, indent, depth);
                sb.Append(']');
                return;
            default:
                // Scalars as the converted value writes them (ints, floats, strings, true/false/null).
                Write(sb, FromJson(json), ascii, indent, itemSep, keySep, sortKeys: false, depth);
                return;
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
