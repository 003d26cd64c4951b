#if NET
using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Parley.Jinja;

/// <summary>jinja2's built-in filters (and HF's <c>tojson</c>), called directly by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaFilters
{
    /// <summary>Filters by name, for <c>map('name')</c>, filter blocks and the interpreter: built from the one table of built-ins.</summary>
    public static readonly IReadOnlyDictionary<string, Func<JinjaValue, JinjaArgs, JinjaValue>> ByName = Syntax.JinjaBuiltins.Filters.ToDictionary(
        entry => entry.Key,
        entry => typeof(JinjaFilters).GetMethod(entry.Value, [typeof(JinjaValue), typeof(JinjaArgs)])!.CreateDelegate<Func<JinjaValue, JinjaArgs, JinjaValue>>(),
        StringComparer.Ordinal);

    /// <summary>Applies a filter by name.</summary>
    public static JinjaValue Apply(string name, JinjaValue value, JinjaArgs args) =>
        ByName.TryGetValue(name, out var filter) ? filter(value, args) : throw new TemplateException("TemplateRuntimeError: No filter named '" + name + "'");

    private static JinjaValue Str(string s) => JinjaValue.FromString(s);

    private static JinjaValue Generator(List<JinjaValue> items) => JinjaValue.FromObject(new JinjaGenerator(items));

    /// <summary><c>abs</c>.</summary>
    public static JinjaValue Abs(JinjaValue v, JinjaArgs a)
    {
        if (!v.IsNumber) throw new TemplateException("TypeError: bad operand type for abs(): '" + v.Kind + "'");
        return v.Kind == JinjaKind.Float ? JinjaValue.FromFloat(Math.Abs(v.AsDouble)) : JinjaValue.FromInt(Math.Abs(v.AsInt));
    }

    /// <summary><c>attr(name)</c>.</summary>
    public static JinjaValue Attr(JinjaValue v, JinjaArgs a) => JinjaRuntime.GetAttr(v, a.Get(0, "name").ToString());

    /// <summary><c>batch(count, fill_with)</c>.</summary>
    public static JinjaValue Batch(JinjaValue v, JinjaArgs a)
    {
        int size = (int)a.Get(0, "linecount").AsInt;
        JinjaValue fill = a.Get(1, "fill_with", JinjaValue.None);
        var batches = new List<JinjaValue>();
        List<JinjaValue>? current = null;
        foreach (JinjaValue item in JinjaRuntime.Iterate(v))
        {
            current ??= [];
            current.Add(item);
            if (current.Count == size)
            {
                batches.Add(JinjaValue.FromList(current));
                current = null;
            }
        }

        if (current is not null)
        {
            if (a.TryGet(1, "fill_with", out _))
            {
                while (current.Count < size) current.Add(fill);
            }

            batches.Add(JinjaValue.FromList(current));
        }

        return Generator(batches);
    }

    /// <summary><c>capitalize</c>.</summary>
    public static JinjaValue Capitalize(JinjaValue v, JinjaArgs a) => Str(StringMethods.Capitalize(v.ToString()));

    /// <summary><c>center(width)</c>.</summary>
    public static JinjaValue Center(JinjaValue v, JinjaArgs a) => Str(StringMethods.Center(v.ToString(), (int)a.Get(0, "width", JinjaValue.FromInt(80)).AsInt, " "));

    /// <summary><c>default(value, boolean=false)</c>.</summary>
    public static JinjaValue Default(JinjaValue v, JinjaArgs a)
    {
        bool boolean = a.Get(1, "boolean", JinjaValue.False).IsTrue;
        if (v.IsUndefined || (boolean && !v.IsTrue)) return a.Get(0, "default_value", Str(""));
        return v;
    }

    private static string SortKeyString(JinjaValue v, bool caseSensitive) => caseSensitive ? v.AsString : v.AsString.ToLowerInvariant();

    private static JinjaValue Fold(JinjaValue v, bool caseSensitive) => !caseSensitive && v.IsString ? Str(v.AsString.ToLowerInvariant()) : v;

    /// <summary><c>dictsort(case_sensitive, by, reverse)</c>.</summary>
    public static JinjaValue DictSort(JinjaValue v, JinjaArgs a)
    {
        if (v.Kind != JinjaKind.Dict) throw new TemplateException("TypeError: dictsort expects a dict");
        bool caseSensitive = a.Get(0, "case_sensitive", JinjaValue.False).IsTrue;
        string by = a.Get(1, "by", Str("key")).ToString();
        bool reverse = a.Get(2, "reverse", JinjaValue.False).IsTrue;
        int position = by == "key" ? 0 : by == "value" ? 1 : throw new TemplateException("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
        var items = v.AsDict.Select(p => JinjaValue.FromTuple([p.Key, p.Value])).ToList();
        var sorted = StableSort(items, x => Fold(x.AsList[position], caseSensitive), reverse);
        return JinjaValue.FromList(sorted);
    }

    private static List<JinjaValue> StableSort(List<JinjaValue> items, Func<JinjaValue, JinjaValue> key, bool reverse)
    {
        var keyed = items.Select((item, i) => (Item: item, Key: key(item), Index: i)).ToList();
        try
        {
            keyed.Sort((x, y) =>
            {
                int c = x.Key.Equals(y.Key) ? 0 : JinjaRuntime.Compare(x.Key, y.Key);
                if (reverse) c = -c;
                return c != 0 ? c : x.Index.CompareTo(y.Index);
            });
        }
        catch (InvalidOperationException e) when (e.InnerException is TemplateException inner)
        {
            throw inner;
        }

        return keyed.Select(k => k.Item).ToList();
    }

    /// <summary><c>escape</c> (HTML).</summary>
    public static JinjaValue Escape(JinjaValue v, JinjaArgs a) =>
        Str(v.ToString().Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;"));

    /// <summary><c>first</c>.</summary>
    public static JinjaValue First(JinjaValue v, JinjaArgs a)
    {
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        return items.Count > 0 ? items[0] : default;
    }

    /// <summary><c>last</c>.</summary>
    public static JinjaValue Last(JinjaValue v, JinjaArgs a)
    {
        if (v.Kind == JinjaKind.Object) throw new TemplateException("TypeError: 'generator' object is not reversible");
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        return items.Count > 0 ? items[^1] : default;
    }

    /// <summary><c>float(default)</c>.</summary>
    public static JinjaValue Float(JinjaValue v, JinjaArgs a)
    {
        JinjaValue fallback = a.Get(0, "default", JinjaValue.FromFloat(0));
        switch (v.Kind)
        {
            case JinjaKind.Float: return v;
            case JinjaKind.Int:
            case JinjaKind.Bool: return JinjaValue.FromFloat(v.AsDouble);
            case JinjaKind.String:
                string s = v.AsString.Trim().Replace("_", "");
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JinjaValue.FromFloat(d);
                string lower = s.ToLowerInvariant();
                if (lower is "inf" or "+inf" or "infinity") return JinjaValue.FromFloat(double.PositiveInfinity);
                if (lower is "-inf" or "-infinity") return JinjaValue.FromFloat(double.NegativeInfinity);
                if (lower is "nan" or "+nan" or "-nan") return JinjaValue.FromFloat(double.NaN);
                return fallback;
            default: return fallback;
        }
    }

    /// <summary><c>int(default, base)</c>.</summary>
    public static JinjaValue Int(JinjaValue v, JinjaArgs a)
    {
        JinjaValue fallback = a.Get(0, "default", JinjaValue.FromInt(0));
        if (v.Kind is JinjaKind.Int or JinjaKind.Bool or JinjaKind.Float) return JinjaValue.FromInt(JinjaRuntime.ToInt(v, 0));
        if (v.IsString)
        {
            string s = v.AsString.Trim().Replace("_", "");
            long b = a.Get(1, "base", JinjaValue.FromInt(10)).AsInt;
            if (b == 10 && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i)) return JinjaValue.FromInt(i);
            if (b != 10)
            {
                try
                {
                    return JinjaValue.FromInt(Convert.ToInt64(s.StartsWith("0x") || s.StartsWith("0b") || s.StartsWith("0o") ? s[2..] : s, (int)b));
                }
                catch (FormatException)
                {
                }
                catch (ArgumentException)
                {
                }
            }

            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && !double.IsNaN(d) && !double.IsInfinity(d)) return JinjaValue.FromInt((long)Math.Truncate(d));
        }

        return fallback;
    }

    /// <summary><c>format(*args)</c> (Python <c>%</c> formatting).</summary>
    public static JinjaValue Format(JinjaValue v, JinjaArgs a) => JinjaRuntime.Modulo(Str(v.ToString()), JinjaValue.FromTuple([.. a.Positional]));

    /// <summary><c>groupby(attribute, default=None, case_sensitive=False)</c>: (grouper, items) tuples sorted by the key.</summary>
    public static JinjaValue GroupBy(JinjaValue v, JinjaArgs a)
    {
        JinjaValue attribute = a.Get(0, "attribute");
        JinjaValue fallback = a.Get(1, "default");
        bool caseSensitive = a.Get(2, "case_sensitive", JinjaValue.False).IsTrue;
        JinjaValue Key(JinjaValue item)
        {
            JinjaValue k = GetPath(item, attribute);
            return k.IsUndefined && !fallback.IsUndefined ? fallback : k;
        }

        List<JinjaValue> sorted = StableSort(JinjaRuntime.Iterate(v), x => Fold(Key(x), caseSensitive), false);
        var groups = new List<JinjaValue>();
        JinjaValue? currentKey = null;
        List<JinjaValue>? current = null;
        foreach (JinjaValue item in sorted)
        {
            JinjaValue folded = Fold(Key(item), caseSensitive);
            if (current is null || !currentKey!.Value.Equals(folded))
            {
                current = [];
                currentKey = folded;
                groups.Add(JinjaValue.FromTuple([Key(item), JinjaValue.FromList(current)]));
            }

            current.Add(item);
        }

        return JinjaValue.FromList(groups);
    }

    /// <summary><c>indent(width=4, first=false, blank=false)</c>.</summary>
    public static JinjaValue Indent(JinjaValue v, JinjaArgs a)
    {
        JinjaValue width = a.Get(0, "width", JinjaValue.FromInt(4));
        string indention = width.IsString ? width.AsString : new string(' ', (int)width.AsInt);
        bool first = a.Get(1, "first", JinjaValue.False).IsTrue;
        bool blank = a.Get(2, "blank", JinjaValue.False).IsTrue;
        string s = v.ToString() + "\n";
        List<string> lines = SplitLines(s);
        string rv;
        if (blank)
        {
            rv = string.Join("\n" + indention, lines);
        }
        else
        {
            rv = lines.Count > 0 ? lines[0] : "";
            if (lines.Count > 1)
            {
                rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l));
            }
        }

        if (first) rv = indention + rv;
        return Str(rv);
    }

    private static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\n' || s[i] == '\r')
            {
                lines.Add(s.Substring(start, i - start));
                if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                start = i + 1;
            }
        }

        if (start < s.Length) lines.Add(s.Substring(start));
        return lines;
    }

    /// <summary><c>items</c>.</summary>
    public static JinjaValue Items(JinjaValue v, JinjaArgs a)
    {
        if (v.IsUndefined) return Generator([]);
        if (v.Kind != JinjaKind.Dict) throw new TemplateException("TypeError: Can only get item pairs from a mapping.");
        return Generator(v.AsDict.Select(p => JinjaValue.FromTuple([p.Key, p.Value])).ToList());
    }

    /// <summary><c>join(separator, attribute)</c>.</summary>
    public static JinjaValue Join(JinjaValue v, JinjaArgs a)
    {
        string separator = a.Get(0, "d", Str("")).ToString();
        JinjaValue attribute = a.Get(1, "attribute");
        IEnumerable<JinjaValue> items = JinjaRuntime.Iterate(v);
        if (!attribute.IsUndefined) items = items.Select(i => GetPath(i, attribute));
        return Str(string.Join(separator, items.Select(i => i.ToString())));
    }

    /// <summary><c>length</c>.</summary>
    public static JinjaValue Length(JinjaValue v, JinjaArgs a) => JinjaValue.FromInt(JinjaRuntime.Length(v));

    /// <summary><c>list</c>.</summary>
    public static JinjaValue List(JinjaValue v, JinjaArgs a) => JinjaValue.FromList([.. JinjaRuntime.Iterate(v)]);

    /// <summary><c>lower</c>.</summary>
    public static JinjaValue Lower(JinjaValue v, JinjaArgs a) => Str(v.ToString().ToLowerInvariant());

    /// <summary><c>upper</c>.</summary>
    public static JinjaValue Upper(JinjaValue v, JinjaArgs a) => Str(v.ToString().ToUpperInvariant());

    /// <summary>jinja's attribute getter: dotted paths, integer parts index.</summary>
    public static JinjaValue GetPath(JinjaValue v, JinjaValue attribute)
    {
        if (!attribute.IsString) return JinjaRuntime.GetItem(v, attribute);
        foreach (string part in attribute.AsString.Split('.'))
        {
            v = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long i) ? JinjaRuntime.GetItem(v, JinjaValue.FromInt(i)) : JinjaRuntime.GetItem(v, Str(part));
        }

        return v;
    }

    /// <summary><c>map(filter, *args)</c> or <c>map(attribute=..., default=...)</c>.</summary>
    public static JinjaValue Map(JinjaValue v, JinjaArgs a)
    {
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        JinjaValue attribute = a.GetNamed("attribute");
        if (!attribute.IsUndefined)
        {
            JinjaValue fallback = a.GetNamed("default");
            return Generator(items.Select(i =>
            {
                JinjaValue r = GetPath(i, attribute);
                return r.IsUndefined && !fallback.IsUndefined ? fallback : r;
            }).ToList());
        }

        if (a.Count == 0) return Generator(items);
        string name = a.Positional[0].ToString();
        var rest = new JinjaArgs(a.Positional.Skip(1).ToArray(), a.Names, a.Named);
        return Generator(items.Select(i => Apply(name, i, rest)).ToList());
    }

    private static JinjaValue MinMax(JinjaValue v, JinjaArgs a, bool max)
    {
        bool caseSensitive = a.Get(0, "case_sensitive", JinjaValue.False).IsTrue;
        JinjaValue attribute = a.Get(1, "attribute");
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        if (items.Count == 0) return default;
        JinjaValue best = items[0];
        foreach (JinjaValue item in items.Skip(1))
        {
            JinjaValue x = Fold(attribute.IsUndefined ? item : GetPath(item, attribute), caseSensitive);
            JinjaValue y = Fold(attribute.IsUndefined ? best : GetPath(best, attribute), caseSensitive);
            int c = JinjaRuntime.Compare(x, y);
            if (max ? c > 0 : c < 0) best = item;
        }

        return best;
    }

    /// <summary><c>max</c>.</summary>
    public static JinjaValue Max(JinjaValue v, JinjaArgs a) => MinMax(v, a, true);

    /// <summary><c>min</c>.</summary>
    public static JinjaValue Min(JinjaValue v, JinjaArgs a) => MinMax(v, a, false);

    private static JinjaValue SelectOrReject(JinjaValue v, JinjaArgs a, bool select, bool byAttribute)
    {
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        int offset = byAttribute ? 1 : 0;
        JinjaValue attribute = byAttribute ? a.Get(0, "attribute") : default;
        Func<JinjaValue, bool> predicate;
        if (a.Count > offset)
        {
            string test = a.Positional[offset].ToString();
            var rest = new JinjaArgs(a.Positional.Skip(offset + 1).ToArray());
            predicate = x => JinjaTests.Apply(test, x, rest);
        }
        else
        {
            predicate = x => x.IsTrue;
        }

        return Generator(items.Where(i => predicate(byAttribute ? GetPath(i, attribute) : i) == select).ToList());
    }

    /// <summary><c>select(test, *args)</c>.</summary>
    public static JinjaValue Select(JinjaValue v, JinjaArgs a) => SelectOrReject(v, a, true, false);

    /// <summary><c>reject(test, *args)</c>.</summary>
    public static JinjaValue Reject(JinjaValue v, JinjaArgs a) => SelectOrReject(v, a, false, false);

    /// <summary><c>selectattr(attribute, test, *args)</c>.</summary>
    public static JinjaValue SelectAttr(JinjaValue v, JinjaArgs a) => SelectOrReject(v, a, true, true);

    /// <summary><c>rejectattr(attribute, test, *args)</c>.</summary>
    public static JinjaValue RejectAttr(JinjaValue v, JinjaArgs a) => SelectOrReject(v, a, false, true);

    /// <summary><c>replace(old, new, count)</c>.</summary>
    public static JinjaValue Replace(JinjaValue v, JinjaArgs a) =>
        Str(StringMethods.Replace(v.ToString(), a.Get(0, "old").ToString(), a.Get(1, "new").ToString(), a.Get(2, "count", JinjaValue.None) is { IsNone: false } c ? c.AsInt : -1));

    /// <summary><c>reverse</c>.</summary>
    public static JinjaValue Reverse(JinjaValue v, JinjaArgs a)
    {
        if (v.IsString)
        {
            char[] chars = v.AsString.ToCharArray();
            Array.Reverse(chars);
            return Str(new string(chars));
        }

        List<JinjaValue> items = [.. JinjaRuntime.Iterate(v)];
        items.Reverse();
        return Generator(items);
    }

    /// <summary><c>round(precision=0, method='common')</c>.</summary>
    public static JinjaValue Round(JinjaValue v, JinjaArgs a)
    {
        int precision = (int)a.Get(0, "precision", JinjaValue.FromInt(0)).AsInt;
        string method = a.Get(1, "method", Str("common")).ToString();
        double value = v.AsDouble;
        double factor = Math.Pow(10, precision);
        double r = method switch
        {
            "ceil" => Math.Ceiling(value * factor) / factor,
            "floor" => Math.Floor(value * factor) / factor,
            _ => Math.Round(value, precision, MidpointRounding.ToEven), // Python round(): half to even
        };
        return JinjaValue.FromFloat(r);
    }

    /// <summary><c>safe</c> (no escaping is done, so the string itself).</summary>
    public static JinjaValue Safe(JinjaValue v, JinjaArgs a) => Str(v.ToString());

    /// <summary><c>slice(slices, fill_with)</c>.</summary>
    public static JinjaValue Slice(JinjaValue v, JinjaArgs a)
    {
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        int slices = (int)a.Get(0, "slices").AsInt;
        int per = items.Count / slices, extra = items.Count % slices, offset = 0;
        var result = new List<JinjaValue>();
        for (int i = 0; i < slices; i++)
        {
            int start = offset + i * per;
            if (i < extra) offset++;
            int end = offset + (i + 1) * per;
            result.Add(JinjaValue.FromList(items.GetRange(start, end - start)));
        }

        return Generator(result);
    }

    /// <summary><c>sort(reverse, case_sensitive, attribute)</c>.</summary>
    public static JinjaValue Sort(JinjaValue v, JinjaArgs a)
    {
        bool reverse = a.Get(0, "reverse", JinjaValue.False).IsTrue;
        bool caseSensitive = a.Get(1, "case_sensitive", JinjaValue.False).IsTrue;
        JinjaValue attribute = a.Get(2, "attribute");
        List<JinjaValue> items = JinjaRuntime.Iterate(v);
        return JinjaValue.FromList(StableSort(items, x => Fold(attribute.IsUndefined ? x : GetPath(x, attribute), caseSensitive), reverse));
    }

    /// <summary><c>string</c>.</summary>
    public static JinjaValue String(JinjaValue v, JinjaArgs a) => Str(v.ToString());

    /// <summary><c>striptags</c>.</summary>
    public static JinjaValue StripTags(JinjaValue v, JinjaArgs a) =>
        Str(string.Join(" ", System.Text.RegularExpressions.Regex.Replace(v.ToString(), "<!--.*?-->|<[^>]*>", "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));

    /// <summary><c>sum(attribute, start)</c>.</summary>
    public static JinjaValue Sum(JinjaValue v, JinjaArgs a)
    {
        JinjaValue attribute = a.Get(0, "attribute");
        JinjaValue total = a.Get(1, "start", JinjaValue.FromInt(0));
        foreach (JinjaValue item in JinjaRuntime.Iterate(v))
        {
            total = JinjaRuntime.Add(total, attribute.IsUndefined ? item : GetPath(item, attribute));
        }

        return total;
    }

    /// <summary><c>title</c> (jinja's: words start after whitespace, '-', and opening brackets).</summary>
    public static JinjaValue Title(JinjaValue v, JinjaArgs a)
    {
        string s = v.ToString();
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char c in s)
        {
            bool separator = char.IsWhiteSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            if (separator)
            {
                sb.Append(c);
                start = true;
            }
            else
            {
                sb.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
                start = false;
            }
        }

        return Str(sb.ToString());
    }

    // tojson(indent=2|4) on every rendering: the usual indents are kept rather than made per call.
    private static readonly string[] Indents = [.. Enumerable.Range(0, 9).Select(n => new string(' ', n))];

    private static string Spaces(int n) => n >= 0 && n < Indents.Length ? Indents[n] : new string(' ', Math.Max(0, n));

    /// <summary>HF's <c>tojson(ensure_ascii=False, indent=None, separators=None, sort_keys=False)</c>.</summary>
    public static JinjaValue ToJson(JinjaValue v, JinjaArgs a)
    {
        bool ascii = a.Get(0, "ensure_ascii", JinjaValue.False).IsTrue;
        JinjaValue indentValue = a.Get(1, "indent", JinjaValue.None);
        JinjaValue separators = a.Get(2, "separators", JinjaValue.None);
        bool sortKeys = a.Get(3, "sort_keys", JinjaValue.False).IsTrue;
        string? indent = indentValue.IsNone || indentValue.IsUndefined ? null : indentValue.IsString ? indentValue.AsString : Spaces((int)indentValue.AsInt);
        string itemSep = indent is null ? ", " : ",", keySep = ": ";
        if (separators.IsSequence && separators.AsList.Count == 2)
        {
            itemSep = separators.AsList[0].ToString();
            keySep = separators.AsList[1].ToString();
        }

        return Str(JinjaJson.Dumps(v, ascii, indent, itemSep, keySep, sortKeys));
    }

    /// <summary><c>trim(chars)</c>.</summary>
    public static JinjaValue Trim(JinjaValue v, JinjaArgs a) => Str(StringMethods.Strip(v.ToString(), a.Get(0, "chars", JinjaValue.None), true, true));

    /// <summary><c>truncate(length=255, killwords=False, end='...', leeway=5)</c>.</summary>
    public static JinjaValue Truncate(JinjaValue v, JinjaArgs a)
    {
        string s = v.ToString();
        int length = (int)a.Get(0, "length", JinjaValue.FromInt(255)).AsInt;
        bool killWords = a.Get(1, "killwords", JinjaValue.False).IsTrue;
        string end = a.Get(2, "end", Str("...")).ToString();
        int leeway = (int)a.Get(3, "leeway", JinjaValue.FromInt(5)).AsInt;
        if (s.Length <= length + leeway) return Str(s);
        if (killWords) return Str(s.Substring(0, length - end.Length) + end);
        string cut = s.Substring(0, Math.Max(0, length - end.Length));
        int space = cut.LastIndexOf(' ');
        return Str((space >= 0 ? cut.Substring(0, space) : cut) + end);
    }

    /// <summary><c>unique(case_sensitive, attribute)</c>.</summary>
    public static JinjaValue Unique(JinjaValue v, JinjaArgs a)
    {
        bool caseSensitive = a.Get(0, "case_sensitive", JinjaValue.False).IsTrue;
        JinjaValue attribute = a.Get(1, "attribute");
        var seen = new HashSet<JinjaValue>();
        var result = new List<JinjaValue>();
        foreach (JinjaValue item in JinjaRuntime.Iterate(v))
        {
            if (seen.Add(Fold(attribute.IsUndefined ? item : GetPath(item, attribute), caseSensitive))) result.Add(item);
        }

        return Generator(result);
    }

    /// <summary><c>wordcount</c>.</summary>
    public static JinjaValue WordCount(JinjaValue v, JinjaArgs a) =>
        JinjaValue.FromInt(System.Text.RegularExpressions.Regex.Matches(v.ToString(), @"\w+").Count);

    /// <summary><c>pprint</c>.</summary>
    public static JinjaValue Pprint(JinjaValue v, JinjaArgs a) => Str(v.Repr());
}

/// <summary>jinja2's built-in tests.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaTests
{
    /// <summary>Tests by name.</summary>
    public static readonly IReadOnlyDictionary<string, Func<JinjaValue, JinjaArgs, bool>> ByName = new Dictionary<string, Func<JinjaValue, JinjaArgs, bool>>
    {
        ["boolean"] = (v, _) => v.Kind == JinjaKind.Bool,
        ["callable"] = (v, _) => v.Kind == JinjaKind.Callable,
        ["defined"] = (v, _) => !v.IsUndefined,
        ["undefined"] = (v, _) => v.IsUndefined,
        ["none"] = (v, _) => v.IsNone,
        ["false"] = (v, _) => v.Kind == JinjaKind.Bool && !v.AsBool,
        ["true"] = (v, _) => v.Kind == JinjaKind.Bool && v.AsBool,
        ["integer"] = (v, _) => v.Kind == JinjaKind.Int,
        ["float"] = (v, _) => v.Kind == JinjaKind.Float,
        ["number"] = (v, _) => v.IsNumber,
        ["string"] = (v, _) => v.IsString,
        ["mapping"] = (v, _) => v.Kind == JinjaKind.Dict,
        ["iterable"] = (v, _) => v.Kind is JinjaKind.String or JinjaKind.List or JinjaKind.Tuple or JinjaKind.Dict || (v.Kind == JinjaKind.Object && v.AsObject is JinjaGenerator),
        ["sequence"] = (v, _) => v.Kind is JinjaKind.String or JinjaKind.List or JinjaKind.Tuple or JinjaKind.Dict,
        ["odd"] = (v, _) => Integer(v, "odd") % 2 != 0,
        ["even"] = (v, _) => Integer(v, "even") % 2 == 0,
        ["divisibleby"] = (v, a) => a.Get(0, "num").AsInt is var num && num != 0
            ? num == -1 || Integer(v, "divisibleby") % num == 0
            : throw new TemplateException("ZeroDivisionError: integer division or modulo by zero (divisibleby(0))"),
        ["eq"] = (v, a) => v.Equals(a.Get(0, "other")),
        ["equalto"] = (v, a) => v.Equals(a.Get(0, "other")),
        ["=="] = (v, a) => v.Equals(a.Get(0, "other")),
        ["ne"] = (v, a) => !v.Equals(a.Get(0, "other")),
        ["!="] = (v, a) => !v.Equals(a.Get(0, "other")),
        ["lt"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) < 0,
        ["lessthan"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) < 0,
        ["<"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) < 0,
        ["le"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) <= 0,
        ["<="] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) <= 0,
        ["gt"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) > 0,
        ["greaterthan"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) > 0,
        [">"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) > 0,
        ["ge"] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) >= 0,
        [">="] = (v, a) => JinjaRuntime.Compare(v, a.Get(0, "other")) >= 0,
        ["in"] = (v, a) => JinjaRuntime.Contains(a.Get(0, "seq"), v),
        ["lower"] = (v, _) => StringMethods.IsCased(v.ToString(), upper: false),
        ["upper"] = (v, _) => StringMethods.IsCased(v.ToString(), upper: true),
        ["sameas"] = (v, a) => a.Get(0, "other") is var o && (v.Kind == o.Kind && (v.Kind is JinjaKind.None or JinjaKind.Undefined || (v.Kind == JinjaKind.Bool && v.AsBool == o.AsBool) || v.Equals(o))),
        ["escaped"] = (v, _) => false,
        ["filter"] = (v, _) => v.IsString && JinjaFilters.ByName.ContainsKey(v.AsString),
        ["test"] = (v, _) => v.IsString && ByName!.ContainsKey(v.AsString),
    };

    private static long Integer(JinjaValue v, string test)
    {
        if (v.IsUndefined) throw new TemplateException("UndefinedError: value is undefined");
        if (!v.IsNumber) throw new TemplateException("TypeError: test '" + test + "' needs a number, not " + v.Kind);
        return v.AsInt;
    }

    /// <summary>Applies a test by name.</summary>
    public static bool Apply(string name, JinjaValue value, JinjaArgs args) =>
        ByName.TryGetValue(name, out var test) ? test(value, args) : throw new TemplateException("TemplateRuntimeError: No test named '" + name + "'");
}
#endif
