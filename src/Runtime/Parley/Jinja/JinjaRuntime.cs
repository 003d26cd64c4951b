#if NET
using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Parley.Jinja;

/// <summary>A lazy sequence (Python generator) returned by filters such as <c>map</c> and <c>select</c>: iterable once, without a length.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class JinjaGenerator : IJinjaObject
{
    private List<JinjaValue>? _items;

    /// <summary>Creates the generator over computed items.</summary>
    public JinjaGenerator(List<JinjaValue> items) => _items = items;

    /// <summary>Takes the remaining items (a generator is consumed by iterating it).</summary>
    public List<JinjaValue> Take()
    {
        List<JinjaValue> items = _items ?? [];
        _items = null;
        return items;
    }

    /// <inheritdoc/>
    public JinjaValue GetAttribute(string name) => default;
}

/// <summary>Operators, attribute and item access, method calls and globals with jinja2's semantics, for generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JinjaRuntime
{
    /// <summary>The error Python would raise, as a <see cref="TemplateException"/>.</summary>
    public static TemplateException Error(string message) => new(message);

    private static TemplateException UndefinedError(string what = "value") => new("UndefinedError: '" + what + "' is undefined");

    private static string TypeName(JinjaValue v) => v.Kind switch
    {
        JinjaKind.None => "NoneType",
        JinjaKind.Bool => "bool",
        JinjaKind.Int => "int",
        JinjaKind.Float => "float",
        JinjaKind.String => "str",
        JinjaKind.List => "list",
        JinjaKind.Tuple => "tuple",
        JinjaKind.Dict => "dict",
        JinjaKind.Undefined => "Undefined",
        JinjaKind.Object when v.AsObject is JinjaGenerator => "generator",
        _ => "object",
    };

    /// <summary>An empty list value.</summary>
    public static JinjaValue NewList(params JinjaValue[] items) => JinjaValue.FromList([.. items]);

    /// <summary>A tuple value.</summary>
    public static JinjaValue NewTuple(params JinjaValue[] items) => JinjaValue.FromTuple([.. items]);

    /// <summary>A dict value from alternating keys and values.</summary>
    public static JinjaValue NewDict(params JinjaValue[] keysAndValues)
    {
        var dict = new JinjaDict();
        for (int i = 0; i + 1 < keysAndValues.Length; i += 2)
        {
            dict.Set(keysAndValues[i], keysAndValues[i + 1]);
        }

        return JinjaValue.FromDict(dict);
    }

    /// <summary>Python <c>str()</c> concatenation: <c>a ~ b</c>.</summary>
    public static JinjaValue Concat(JinjaValue a, JinjaValue b) => ConcatStrings(a.ToString(), b.ToString());

    private static JinjaValue ConcatStrings(string a, string b)
    {
        if ((long)a.Length + b.Length > JinjaRenderScope.Limits.MaxSequenceLength) JinjaRenderScope.CheckSequenceLength((long)a.Length + b.Length, "a string");
        string result = a + b;
        if (ContentTracker.Current is not null) ContentTracker.Concatenated(a, b, result);
        return JinjaValue.FromString(result);
    }

    private static void CheckDefined(JinjaValue a, JinjaValue b)
    {
        if (a.IsUndefined || b.IsUndefined) throw UndefinedError();
    }

    /// <summary>Returns <paramref name="value"/> and keeps it in <paramref name="kept"/>: the middle operand of a chained comparison, evaluated once.</summary>
    public static JinjaValue Keep(JinjaValue value, out JinjaValue kept)
    {
        kept = value;
        return value;
    }

    /// <summary><c>a + b</c>.</summary>
    public static JinjaValue Add(JinjaValue a, JinjaValue b)
    {
        CheckDefined(a, b);
        if (a.IsNumber && b.IsNumber)
        {
            return a.Kind == JinjaKind.Float || b.Kind == JinjaKind.Float ? JinjaValue.FromFloat(a.AsDouble + b.AsDouble) : Int(a, b, "+", (x, y) => checked(x + y));
        }

        if (a.IsString && b.IsString) return ConcatStrings(a.AsString, b.AsString);
        if (a.Kind == b.Kind && a.IsSequence)
        {
            JinjaRenderScope.CheckSequenceLength((long)a.AsList.Count + b.AsList.Count, "a " + TypeName(a));
            var list = new List<JinjaValue>(a.AsList);
            list.AddRange(b.AsList);
            return a.Kind == JinjaKind.List ? JinjaValue.FromList(list) : JinjaValue.FromTuple(list);
        }

        throw Error("TypeError: unsupported operand type(s) for +: '" + TypeName(a) + "' and '" + TypeName(b) + "'");
    }

    /// <summary><c>a - b</c>.</summary>
    public static JinjaValue Subtract(JinjaValue a, JinjaValue b) => Arithmetic(a, b, "-", (x, y) => checked(x - y), (x, y) => x - y);

    /// <summary><c>a * b</c>.</summary>
    public static JinjaValue Multiply(JinjaValue a, JinjaValue b)
    {
        CheckDefined(a, b);
        if (a.IsString && b.Kind is JinjaKind.Int or JinjaKind.Bool) return JinjaValue.FromString(Repeat(a.AsString, b.AsInt));
        if (b.IsString && a.Kind is JinjaKind.Int or JinjaKind.Bool) return JinjaValue.FromString(Repeat(b.AsString, a.AsInt));
        if (a.IsSequence && b.Kind is JinjaKind.Int or JinjaKind.Bool)
        {
            // Sized before anything is allocated: [1] * 1000000000 is refused, not built.
            if (b.AsInt > 0) JinjaRenderScope.CheckSequenceLength(a.AsList.Count * Math.Min(b.AsInt, int.MaxValue), "a " + TypeName(a));
            var list = new List<JinjaValue>();
            for (long i = 0; i < b.AsInt; i++) list.AddRange(a.AsList);
            return a.Kind == JinjaKind.List ? JinjaValue.FromList(list) : JinjaValue.FromTuple(list);
        }

        return Arithmetic(a, b, "*", (x, y) => checked(x * y), (x, y) => x * y);
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0 || s.Length == 0) return "";
        JinjaRenderScope.CheckSequenceLength(s.Length * Math.Min(n, int.MaxValue), "a string");
        return string.Create((int)(s.Length * n), s, static (span, text) =>
        {
            for (int at = 0; at < span.Length; at += text.Length) text.AsSpan().CopyTo(span[at..]);
        });
    }

    /// <summary><c>a / b</c> (always a float).</summary>
    public static JinjaValue Divide(JinjaValue a, JinjaValue b)
    {
        CheckNumbers(a, b, "/");
        if (b.AsDouble == 0) throw Error("ZeroDivisionError: division by zero");
        return JinjaValue.FromFloat(a.AsDouble / b.AsDouble);
    }

    /// <summary><c>a // b</c>.</summary>
    public static JinjaValue FloorDivide(JinjaValue a, JinjaValue b)
    {
        CheckNumbers(a, b, "//");
        if (b.AsDouble == 0) throw Error("ZeroDivisionError: integer division or modulo by zero");
        if (a.Kind == JinjaKind.Float || b.Kind == JinjaKind.Float) return JinjaValue.FromFloat(Math.Floor(a.AsDouble / b.AsDouble));
        long q = a.AsInt / b.AsInt;
        if ((a.AsInt % b.AsInt != 0) && ((a.AsInt < 0) != (b.AsInt < 0))) q--;
        return JinjaValue.FromInt(q);
    }

    /// <summary><c>a % b</c> (Python modulo; sign of the divisor).</summary>
    public static JinjaValue Modulo(JinjaValue a, JinjaValue b)
    {
        CheckDefined(a, b);
        if (a.IsString) return JinjaValue.FromString(PercentFormat(a.AsString, b));
        CheckNumbers(a, b, "%");
        if (b.AsDouble == 0) throw Error("ZeroDivisionError: integer modulo by zero");
        if (a.Kind == JinjaKind.Float || b.Kind == JinjaKind.Float)
        {
            double m = a.AsDouble % b.AsDouble;
            if (m != 0 && (m < 0) != (b.AsDouble < 0)) m += b.AsDouble;
            return JinjaValue.FromFloat(m);
        }

        long r = a.AsInt % b.AsInt;
        if (r != 0 && (r < 0) != (b.AsInt < 0)) r += b.AsInt;
        return JinjaValue.FromInt(r);
    }

    private static string PercentFormat(string format, JinjaValue args)
    {
        List<JinjaValue> values = args.Kind == JinjaKind.Tuple ? args.AsList : [args];
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            if (format[i + 1] == '%')
            {
                sb.Append('%');
                i++;
                continue;
            }

            // %[flags][width][.precision]type
            int p = i + 1;
            bool leftAlign = false, zeroPad = false, plus = false;
            while (p < format.Length && format[p] is '-' or '0' or '+' or ' ' or '#')
            {
                leftAlign |= format[p] == '-';
                zeroPad |= format[p] == '0';
                plus |= format[p] == '+';
                p++;
            }

            int width = 0;
            while (p < format.Length && char.IsDigit(format[p])) width = width * 10 + (format[p++] - '0');
            int precision = -1;
            if (p < format.Length && format[p] == '.')
            {
                precision = 0;
                p++;
                while (p < format.Length && char.IsDigit(format[p])) precision = precision * 10 + (format[p++] - '0');
            }

            if (p >= format.Length) throw Error("ValueError: incomplete format");
            char spec = format[p];
            i = p;
            if (next >= values.Count) throw Error("TypeError: not enough arguments for format string");
            JinjaValue v = values[next++];
            string text = spec switch
            {
                'd' or 'i' => ToInt(v, 0).ToString(CultureInfo.InvariantCulture),
                'f' or 'F' => v.AsDouble.ToString("F" + (precision < 0 ? 6 : precision), CultureInfo.InvariantCulture),
                'e' => v.AsDouble.ToString((precision < 0 ? 6 : precision) is var e ? "0." + new string('0', e) + "e+00" : "", CultureInfo.InvariantCulture),
                'x' => ToInt(v, 0).ToString("x", CultureInfo.InvariantCulture),
                'X' => ToInt(v, 0).ToString("X", CultureInfo.InvariantCulture),
                'r' => v.Repr(),
                _ => v.ToString(),
            };
            if (spec == 's' && precision >= 0 && text.Length > precision) text = text.Substring(0, precision);
            if (plus && spec is 'd' or 'i' or 'f' or 'F' && !text.StartsWith('-')) text = "+" + text;
            if (text.Length < width)
            {
                text = leftAlign ? text.PadRight(width) : zeroPad && spec != 's' ? (text.StartsWith('-') ? "-" + text[1..].PadLeft(width - 1, '0') : text.PadLeft(width, '0')) : text.PadLeft(width);
            }

            sb.Append(text);
        }

        return sb.ToString();
    }

    /// <summary><c>a ** b</c>.</summary>
    public static JinjaValue Power(JinjaValue a, JinjaValue b)
    {
        CheckNumbers(a, b, "**");
        if (a.Kind != JinjaKind.Float && b.Kind != JinjaKind.Float && b.AsInt >= 0)
        {
            long result = 1;
            try
            {
                for (long i = 0; i < b.AsInt; i++) result = checked(result * a.AsInt);
                return JinjaValue.FromInt(result);
            }
            catch (OverflowException)
            {
                throw IntegerOverflow(a.AsInt + " ** " + b.AsInt);
            }
        }

        return JinjaValue.FromFloat(Math.Pow(a.AsDouble, b.AsDouble));
    }

    private static void CheckNumbers(JinjaValue a, JinjaValue b, string op)
    {
        CheckDefined(a, b);
        if (!a.IsNumber || !b.IsNumber)
        {
            throw Error("TypeError: unsupported operand type(s) for " + op + ": '" + TypeName(a) + "' and '" + TypeName(b) + "'");
        }
    }

    private static JinjaValue Arithmetic(JinjaValue a, JinjaValue b, string op, Func<long, long, long> ints, Func<double, double, double> floats)
    {
        CheckNumbers(a, b, op);
        return a.Kind == JinjaKind.Float || b.Kind == JinjaKind.Float ? JinjaValue.FromFloat(floats(a.AsDouble, b.AsDouble)) : Int(a, b, op, ints);
    }

    // Python's integers are unbounded; Parley's are 64-bit. Past that an error says so, where wrapping around would
    // render a wrong number without a word.
    private static JinjaValue Int(JinjaValue a, JinjaValue b, string op, Func<long, long, long> checkedOp)
    {
        try
        {
            return JinjaValue.FromInt(checkedOp(a.AsInt, b.AsInt));
        }
        catch (OverflowException)
        {
            throw IntegerOverflow(a.AsInt + " " + op + " " + b.AsInt);
        }
    }

    private static TemplateException IntegerOverflow(string expression) =>
        Error("OverflowError: " + expression + " does not fit in 64 bits (Python's integers are unbounded; Parley's compiled templates use 64-bit integers)");

    /// <summary>Unary <c>-a</c>.</summary>
    public static JinjaValue Negate(JinjaValue a)
    {
        if (a.IsUndefined) throw UndefinedError();
        if (!a.IsNumber) throw Error("TypeError: bad operand type for unary -: '" + TypeName(a) + "'");
        if (a.Kind != JinjaKind.Float && a.AsInt == long.MinValue) throw IntegerOverflow("-(" + a.AsInt + ")");
        return a.Kind == JinjaKind.Float ? JinjaValue.FromFloat(-a.AsDouble) : JinjaValue.FromInt(-a.AsInt);
    }

    /// <summary>Unary <c>+a</c>.</summary>
    public static JinjaValue Plus(JinjaValue a)
    {
        if (a.IsUndefined) throw UndefinedError();
        if (!a.IsNumber) throw Error("TypeError: bad operand type for unary +: '" + TypeName(a) + "'");
        return a.Kind == JinjaKind.Bool ? JinjaValue.FromInt(a.AsInt) : a;
    }

    /// <summary><c>a == b</c>.</summary>
    public static JinjaValue Eq(JinjaValue a, JinjaValue b) => JinjaValue.FromBool(a.Equals(b));

    /// <summary>
    /// <c>a == 'literal'</c> as a condition (<c>message['role'] == 'user'</c>): in Python a string equals only a string,
    /// so this is one kind test and an ordinal compare.
    /// </summary>
    public static bool EqualsString(JinjaValue a, string literal) => a.IsString && string.Equals(a.AsString, literal, StringComparison.Ordinal);

    /// <summary><c>obj['literal']</c> (<c>message['content']</c>): a dict is looked up by the string directly.</summary>
    public static JinjaValue GetItem(JinjaValue target, string key) =>
        target.Kind == JinjaKind.Dict && target.AsDict.TryGetValue(key, out JinjaValue value) ? value : GetItem(target, JinjaValue.FromString(key));

    /// <summary><c>a != b</c>.</summary>
    public static JinjaValue Ne(JinjaValue a, JinjaValue b) => JinjaValue.FromBool(!a.Equals(b));

    /// <summary><c>a &lt; b</c>.</summary>
    public static JinjaValue Lt(JinjaValue a, JinjaValue b) => JinjaValue.FromBool(Compare(a, b, "<") < 0);

    /// <summary><c>a &lt;= b</c>.</summary>
    public static JinjaValue Le(JinjaValue a, JinjaValue b) => JinjaValue.FromBool(Compare(a, b, "<=") <= 0);

    /// <summary><c>a &gt; b</c>.</summary>
    public static JinjaValue Gt(JinjaValue a, JinjaValue b) => JinjaValue.FromBool(Compare(a, b, ">") > 0);

    /// <summary><c>a &gt;= b</c>.</summary>
    public static JinjaValue Ge(JinjaValue a, JinjaValue b) => JinjaValue.FromBool(Compare(a, b, ">=") >= 0);

    /// <summary>Python ordering; raises for unorderable types.</summary>
    public static int Compare(JinjaValue a, JinjaValue b, string op = "<")
    {
        if (a.IsNumber && b.IsNumber) return a.AsDouble.CompareTo(b.AsDouble);
        if (a.IsString && b.IsString) return string.CompareOrdinal(a.AsString, b.AsString);
        if (a.IsSequence && b.IsSequence && a.Kind == b.Kind)
        {
            List<JinjaValue> x = a.AsList, y = b.AsList;
            for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
            {
                if (!x[i].Equals(y[i])) return Compare(x[i], y[i], op);
            }

            return x.Count.CompareTo(y.Count);
        }

        if (a.IsUndefined || b.IsUndefined) throw UndefinedError();
        throw Error("TypeError: '" + op + "' not supported between instances of '" + TypeName(a) + "' and '" + TypeName(b) + "'");
    }

    /// <summary><c>item in container</c>.</summary>
    public static bool Contains(JinjaValue container, JinjaValue item)
    {
        switch (container.Kind)
        {
            case JinjaKind.String:
                if (!item.IsString)
                {
                    if (item.IsUndefined) throw UndefinedError();
                    throw Error("TypeError: 'in <string>' requires string as left operand, not " + TypeName(item));
                }

                return container.AsString.Contains(item.AsString, StringComparison.Ordinal);
            case JinjaKind.List:
            case JinjaKind.Tuple:
                foreach (JinjaValue v in container.AsList)
                {
                    if (v.Equals(item)) return true;
                }

                return false;
            case JinjaKind.Dict:
            case JinjaKind.Namespace:
                return container.AsDict.ContainsKey(item);
            case JinjaKind.Undefined:
                return false;
            default:
                foreach (JinjaValue v in Iterate(container))
                {
                    if (v.Equals(item)) return true;
                }

                return false;
        }
    }

    /// <summary><c>item in container</c> as a value.</summary>
    public static JinjaValue In(JinjaValue item, JinjaValue container) => JinjaValue.FromBool(Contains(container, item));

    /// <summary><c>item not in container</c> as a value.</summary>
    public static JinjaValue NotIn(JinjaValue item, JinjaValue container) => JinjaValue.FromBool(!Contains(container, item));

    /// <summary>The items a for loop visits: list items, dict keys, string characters; undefined is empty.</summary>
    public static List<JinjaValue> Iterate(JinjaValue value)
    {
        switch (value.Kind)
        {
            case JinjaKind.List:
            case JinjaKind.Tuple:
                return value.AsList;
            case JinjaKind.Dict:
                return value.AsDict.Select(p => p.Key).ToList();
            case JinjaKind.String:
                return value.AsString.Select(c => JinjaValue.FromString(c.ToString())).ToList();
            case JinjaKind.Undefined:
                return [];
            case JinjaKind.Object when value.AsObject is JinjaGenerator generator:
                return generator.Take();
            default:
                throw Error("TypeError: '" + TypeName(value) + "' object is not iterable");
        }
    }

    /// <summary>Unpacks a value into <paramref name="count"/> targets.</summary>
    public static JinjaValue[] Unpack(JinjaValue value, int count)
    {
        List<JinjaValue> items = Iterate(value);
        if (items.Count != count)
        {
            throw Error(items.Count < count
                ? "ValueError: not enough values to unpack (expected " + count + ", got " + items.Count + ")"
                : "ValueError: too many values to unpack (expected " + count + ")");
        }

        return [.. items];
    }

    /// <summary>Python <c>len()</c>.</summary>
    public static int Length(JinjaValue value) => value.Kind switch
    {
        JinjaKind.String => CodePoints(value.AsString),
        JinjaKind.List or JinjaKind.Tuple => value.AsList.Count,
        JinjaKind.Dict or JinjaKind.Namespace => value.AsDict.Count,
        JinjaKind.Undefined => 0,
        _ => throw Error("TypeError: object of type '" + TypeName(value) + "' has no len()"),
    };

    // Python counts code points; a surrogate pair is one.
    private static int CodePoints(string s)
    {
        int count = s.Length;
        for (int i = 0; i + 1 < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                count--;
                i++;
            }
        }

        return count;
    }

    // Switches rather than hash sets: `message.content` passes through IsDictMethod on every read, and a switch on
    // a string compiles to a length test and a compare or two, without hashing the name.
    private static bool IsDictMethod(string name) => name switch
    {
        "get" or "items" or "keys" or "values" => true,
        _ => false,
    };

    private static bool IsUnsafeMethod(string name) => name switch
    {
        "append" or "extend" or "insert" or "pop" or "remove" or "clear" or "update" or "setdefault" or "popitem" or "sort" or "reverse" or "add" or "discard" => true,
        _ => false,
    };

    /// <summary><c>obj.name</c>: attributes first (methods, loop fields), then items.</summary>
    public static JinjaValue GetAttr(JinjaValue target, string name)
    {
        switch (target.Kind)
        {
            case JinjaKind.Undefined:
                throw UndefinedError(name);
            case JinjaKind.Dict:
                if (IsDictMethod(name) || IsUnsafeMethod(name)) return BoundMethod(target, name);
                return target.AsDict.TryGetValue(name, out JinjaValue v) ? v : default;
            case JinjaKind.Namespace:
                return target.AsDict.TryGetValue(name, out JinjaValue n) ? n : default;
            case JinjaKind.Object:
                return target.AsObject.GetAttribute(name);
            case JinjaKind.String:
                return StringMethodNames.Contains(name) ? BoundMethod(target, name) : default;
            case JinjaKind.List:
            case JinjaKind.Tuple:
                return name is "index" or "count" || IsUnsafeMethod(name) ? BoundMethod(target, name) : default;
            case JinjaKind.Int:
            case JinjaKind.Bool:
                // Python ints (and bools) are rationals with no imaginary part: True.real == 1.
                return name switch
                {
                    "real" or "numerator" => JinjaValue.FromInt(target.AsInt),
                    "imag" => JinjaValue.FromInt(0),
                    "denominator" => JinjaValue.FromInt(1),
                    _ => default,
                };
            case JinjaKind.Float:
                return name switch
                {
                    "real" => target,
                    "imag" => JinjaValue.FromFloat(0.0),
                    _ => default,
                };
            default:
                return default;
        }
    }

    private static readonly HashSet<string> StringMethodNames =
    [
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase", "startswith", "endswith", "split",
        "rsplit", "splitlines", "replace", "find", "rfind", "index", "count", "join", "isdigit", "isnumeric", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "format", "zfill", "center", "ljust", "rjust", "removeprefix", "removesuffix",
    ];

    private static JinjaValue BoundMethod(JinjaValue target, string name) => JinjaValue.FromCallable(args => CallMethod(target, name, args));

    /// <summary><c>obj[key]</c>: items first (negative list indexes count from the end), undefined when missing.</summary>
    public static JinjaValue GetItem(JinjaValue target, JinjaValue key)
    {
        switch (target.Kind)
        {
            case JinjaKind.Undefined:
                throw UndefinedError(key.ToString());
            case JinjaKind.List:
            case JinjaKind.Tuple:
                if (key.Kind is JinjaKind.Int or JinjaKind.Bool)
                {
                    List<JinjaValue> list = target.AsList;
                    long i = key.AsInt < 0 ? key.AsInt + list.Count : key.AsInt;
                    return i >= 0 && i < list.Count ? list[(int)i] : default;
                }

                return key.IsString ? GetAttr(target, key.AsString) : default;
            case JinjaKind.String:
                if (key.Kind is JinjaKind.Int or JinjaKind.Bool)
                {
                    string s = target.AsString;
                    long i = key.AsInt < 0 ? key.AsInt + s.Length : key.AsInt;
                    return i >= 0 && i < s.Length ? JinjaValue.FromString(s[(int)i].ToString()) : default;
                }

                return key.IsString ? GetAttr(target, key.AsString) : default;
            case JinjaKind.Dict:
                if (target.AsDict.TryGetValue(key, out JinjaValue v)) return v;
                return key.IsString && (IsDictMethod(key.AsString)) ? BoundMethod(target, key.AsString) : default;
            case JinjaKind.Namespace:
                return key.IsString && target.AsDict.TryGetValue(key, out JinjaValue n) ? n : default;
            case JinjaKind.Object:
                return key.IsString ? target.AsObject.GetAttribute(key.AsString) : default;
            default:
                return default;
        }
    }

    /// <summary><c>obj[start:stop:step]</c>.</summary>
    public static JinjaValue Slice(JinjaValue target, JinjaValue start, JinjaValue stop, JinjaValue step)
    {
        if (target.IsUndefined) throw UndefinedError();
        long st = step.IsUndefined || step.IsNone ? 1 : step.AsInt;
        if (st == 0) throw Error("ValueError: slice step cannot be zero");
        int length = target.Kind switch
        {
            JinjaKind.String => target.AsString.Length,
            JinjaKind.List or JinjaKind.Tuple => target.AsList.Count,
            _ => throw Error("TypeError: '" + TypeName(target) + "' object is not subscriptable"),
        };

        long lo, hi;
        if (st > 0)
        {
            lo = Clamp(start, 0, length, 0, length);
            hi = Clamp(stop, length, length, 0, length);
        }
        else
        {
            lo = Clamp(start, length - 1, length, -1, length - 1);
            hi = Clamp(stop, -1, length, -1, length - 1);
        }

        var indexes = new List<int>();
        if (st > 0)
        {
            for (long i = lo; i < hi; i += st) indexes.Add((int)i);
        }
        else
        {
            for (long i = lo; i > hi; i += st) indexes.Add((int)i);
        }

        if (target.IsString)
        {
            string s = target.AsString;
            var sb = new StringBuilder(indexes.Count);
            foreach (int i in indexes) sb.Append(s[i]);
            return JinjaValue.FromString(sb.ToString());
        }

        List<JinjaValue> items = target.AsList;
        var result = indexes.Select(i => items[i]).ToList();
        return target.Kind == JinjaKind.Tuple ? JinjaValue.FromTuple(result) : JinjaValue.FromList(result);
    }

    private static long Clamp(JinjaValue bound, long fallback, int length, long min, long max)
    {
        if (bound.IsUndefined || bound.IsNone) return fallback;
        long v = bound.AsInt;
        if (v < 0) v += length;
        return Math.Max(min, Math.Min(max, v));
    }

    /// <summary><c>{% set ns.attr = value %}</c>.</summary>
    public static void SetAttr(JinjaValue target, string name, JinjaValue value)
    {
        if (target.Kind != JinjaKind.Namespace)
        {
            throw Error("TemplateRuntimeError: cannot assign attribute on non-namespace object");
        }

        target.AsDict.Set(name, value);
    }

    /// <summary>Calls a function value (macro, caller, bound method).</summary>
    public static JinjaValue Invoke(JinjaValue function, JinjaArgs args)
    {
        if (function.Kind == JinjaKind.Callable)
        {
            JinjaRenderScope.Enter();
            try
            {
                return function.AsCallable(args);
            }
            finally
            {
                JinjaRenderScope.Exit();
            }
        }

        if (function.IsUndefined) throw UndefinedError();
        throw Error("TypeError: '" + TypeName(function) + "' object is not callable");
    }

    /// <summary><c>obj.name(args)</c>: string, dict and list methods, or a callable attribute.</summary>
    public static JinjaValue CallMethod(JinjaValue target, string name, JinjaArgs args)
    {
        switch (target.Kind)
        {
            case JinjaKind.String:
                return StringMethods.Call(target.AsString, name, args);
            case JinjaKind.Dict:
                switch (name)
                {
                    case "get":
                        return target.AsDict.TryGetValue(args.Get(0, "key"), out JinjaValue v) ? v : args.Count > 1 ? args.Positional[1] : JinjaValue.None;
                    case "items":
                        return JinjaValue.FromList(target.AsDict.Select(p => JinjaValue.FromTuple([p.Key, p.Value])).ToList());
                    case "keys":
                        return JinjaValue.FromList(target.AsDict.Select(p => p.Key).ToList());
                    case "values":
                        return JinjaValue.FromList(target.AsDict.Select(p => p.Value).ToList());
                }

                if (IsUnsafeMethod(name)) throw Error("SecurityError: access to attribute '" + name + "' of 'dict' object is unsafe.");
                return Invoke(GetAttr(target, name), args);
            case JinjaKind.List:
            case JinjaKind.Tuple:
                if (IsUnsafeMethod(name)) throw Error("SecurityError: access to attribute '" + name + "' of '" + TypeName(target) + "' object is unsafe.");
                if (name == "index")
                {
                    int i = target.AsList.IndexOf(args.Get(0, "value"));
                    if (i < 0) throw Error("ValueError: value is not in list");
                    return JinjaValue.FromInt(i);
                }

                if (name == "count")
                {
                    // A loop, not a lambda over `args`: a lambda capturing a parameter allocates its closure on every
                    // call of this method (every `content.strip()` …), whichever branch runs.
                    JinjaValue value = args.Get(0, "value");
                    int count = 0;
                    foreach (JinjaValue item in target.AsList)
                    {
                        if (item.Equals(value)) count++;
                    }

                    return JinjaValue.FromInt(count);
                }
                throw Error("AttributeError: '" + TypeName(target) + "' object has no attribute '" + name + "'");
            case JinjaKind.Undefined:
                throw UndefinedError(name);
            default:
                return Invoke(GetAttr(target, name), args);
        }
    }

    /// <summary>Converts to an int like jinja's <c>int</c> filter.</summary>
    public static long ToInt(JinjaValue value, long fallback)
    {
        switch (value.Kind)
        {
            case JinjaKind.Int:
            case JinjaKind.Bool:
                return value.AsInt;
            case JinjaKind.Float:
                return (long)Math.Truncate(value.AsDouble);
            case JinjaKind.String:
                string s = value.AsString.Trim().Replace("_", "");
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i)) return i;
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && !double.IsInfinity(d) && !double.IsNaN(d)) return (long)Math.Truncate(d);
                return fallback;
            default:
                return fallback;
        }
    }

    // ---- globals ----

    /// <summary><c>range(stop)</c>, <c>range(start, stop[, step])</c>.</summary>
    public static JinjaValue Range(JinjaArgs args)
    {
        long start = 0, stop, step = 1;
        if (args.Count == 1)
        {
            stop = args.Positional[0].AsInt;
        }
        else if (args.Count >= 2)
        {
            start = args.Positional[0].AsInt;
            stop = args.Positional[1].AsInt;
            if (args.Count > 2) step = args.Positional[2].AsInt;
        }
        else
        {
            throw Error("TypeError: range expected at least 1 argument, got 0");
        }

        if (step == 0) throw Error("ValueError: range() arg 3 must not be zero");
        long count = step > 0 ? (stop > start ? (long)(((decimal)stop - start + step - 1) / step) : 0) : (start > stop ? (long)(((decimal)start - stop - step - 1) / -step) : 0);
        JinjaRenderScope.CheckSequenceLength(count, "range()");
        var list = new List<JinjaValue>((int)count);
        for (long i = 0, value = start; i < count; i++, value += step)
        {
            list.Add(JinjaValue.FromInt(value));
        }

        return JinjaValue.FromList(list);
    }

    /// <summary><c>namespace(key=value, ...)</c>.</summary>
    public static JinjaValue Namespace(JinjaArgs args)
    {
        var dict = new JinjaDict();
        foreach (JinjaValue initial in args.Positional)
        {
            if (initial.Kind == JinjaKind.Dict)
            {
                foreach (KeyValuePair<JinjaValue, JinjaValue> pair in initial.AsDict) dict.Set(pair.Key, pair.Value);
            }
        }

        for (int i = 0; i < args.Names.Length; i++) dict.Set(args.Names[i], args.Named[i]);
        return JinjaValue.FromNamespace(dict);
    }

    /// <summary><c>dict(key=value, ...)</c>.</summary>
    public static JinjaValue Dict(JinjaArgs args)
    {
        var dict = new JinjaDict();
        foreach (JinjaValue initial in args.Positional)
        {
            if (initial.Kind == JinjaKind.Dict)
            {
                foreach (KeyValuePair<JinjaValue, JinjaValue> pair in initial.AsDict) dict.Set(pair.Key, pair.Value);
            }
        }

        for (int i = 0; i < args.Names.Length; i++) dict.Set(args.Names[i], args.Named[i]);
        return JinjaValue.FromDict(dict);
    }

    /// <summary>HF's <c>raise_exception(message)</c>.</summary>
    public static JinjaValue RaiseException(JinjaArgs args) =>
        throw new TemplateException(args.Count > 0 ? args.Positional[0].ToString() : "raise_exception called");

    /// <summary>
    /// This error at the template position <paramref name="position"/> (line in the high 32 bits, column in the low),
    /// unless it already has one: generated code and the interpreter catch limit errors where they know the position.
    /// </summary>
    public static TemplateException AtPosition(TemplateException error, long position) =>
        error.Line != 0 || position == 0 ? error : error.At((int)(position >> 32), (int)(position & 0xFFFFFFFF));

    /// <summary>HF's <c>strftime_now(format)</c>.</summary>
    public static JinjaValue StrftimeNow(JinjaArgs args)
    {
        string format = args.Get(0, "format").ToString();
        DateTime now = JinjaRenderScope.Options.TimeProvider.GetLocalNow().DateTime;
        // Templates ask for today's date on every rendering: within one second (and without %f) the text is the same,
        // so the thread keeps its last answer instead of formatting it again.
        long second = now.Ticks / TimeSpan.TicksPerSecond;
        if (_lastStrftime is { } last && last.Second == second && ReferenceEquals(last.Format, format)) return JinjaValue.FromString(last.Text);
        string text = Strftime(now, format);
        if (!format.Contains("%f", StringComparison.Ordinal)) _lastStrftime = new StrftimeResult(format, second, text);
        return JinjaValue.FromString(text);
    }

    private sealed record StrftimeResult(string Format, long Second, string Text);

    [ThreadStatic]
    private static StrftimeResult? _lastStrftime;

    /// <summary>Python <c>strftime</c> for the common directives.</summary>
    public static string Strftime(DateTime time, string format)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            char d = format[++i];
            bool noPad = false;
            if (d == '-' && i + 1 < format.Length)
            {
                noPad = true;
                d = format[++i];
            }

            CultureInfo c = CultureInfo.InvariantCulture;
            string Pad(int v) => noPad ? v.ToString(c) : v.ToString("00", c);
            sb.Append(d switch
            {
                'd' => Pad(time.Day),
                'm' => Pad(time.Month),
                'Y' => time.Year.ToString(c),
                'y' => (time.Year % 100).ToString("00", c),
                'H' => Pad(time.Hour),
                'I' => Pad(time.Hour % 12 == 0 ? 12 : time.Hour % 12),
                'M' => Pad(time.Minute),
                'S' => Pad(time.Second),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'b' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'j' => noPad ? time.DayOfYear.ToString(c) : time.DayOfYear.ToString("000", c),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                '%' => "%",
                _ => "%" + d,
            });
        }

        return sb.ToString();
    }
}
#endif
