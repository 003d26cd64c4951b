#if NET
using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Parley.Jinja;

/// <summary>What a <see cref="JinjaValue"/> holds.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum JinjaKind
{
    /// <summary>An undefined name or missing attribute (renders empty).</summary>
    Undefined,
    /// <summary>Python <c>None</c>.</summary>
    None,
    /// <summary>A boolean.</summary>
    Bool,
    /// <summary>An integer.</summary>
    Int,
    /// <summary>A float.</summary>
    Float,
    /// <summary>A string.</summary>
    String,
    /// <summary>A list.</summary>
    List,
    /// <summary>A tuple.</summary>
    Tuple,
    /// <summary>A dict.</summary>
    Dict,
    /// <summary>A <c>namespace()</c> object.</summary>
    Namespace,
    /// <summary>A macro or function.</summary>
    Callable,
    /// <summary>Another object with attributes (the loop object).</summary>
    Object,
}

/// <summary>A function value: a macro, <c>caller</c>, or a global such as <c>range</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate JinjaValue JinjaCallable(JinjaArgs args);

/// <summary>An object with attributes (used for <c>loop</c>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IJinjaObject
{
    /// <summary>The attribute's value, or undefined.</summary>
    JinjaValue GetAttribute(string name);
}

/// <summary>
/// A dynamic Jinja value with Python semantics (truthiness, equality, <c>str</c> and <c>repr</c>). Generated code
/// uses it only where a template's value is not statically known.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct JinjaValue : IEquatable<JinjaValue>
{
    // Ints and bools in _int; floats as their bits in _int, so a value is a kind, 8 bytes and a reference.
    private readonly long _int;
    private readonly object? _obj;

    private JinjaValue(JinjaKind kind, long i, double f, object? o)
    {
        Kind = kind;
        _int = kind == JinjaKind.Float ? BitConverter.DoubleToInt64Bits(f) : i;
        _obj = o;
    }

    private double _float => BitConverter.Int64BitsToDouble(_int);

    /// <summary>The kind of value.</summary>
    public JinjaKind Kind { get; }

    /// <summary>The undefined value.</summary>
    public static JinjaValue Undefined => default;

    /// <summary><c>None</c>.</summary>
    public static readonly JinjaValue None = new(JinjaKind.None, 0, 0, null);

    /// <summary><c>True</c>.</summary>
    public static readonly JinjaValue True = new(JinjaKind.Bool, 1, 0, null);

    /// <summary><c>False</c>.</summary>
    public static readonly JinjaValue False = new(JinjaKind.Bool, 0, 0, null);

    /// <summary>A boolean.</summary>
    public static JinjaValue FromBool(bool value) => value ? True : False;

    /// <summary>An integer.</summary>
    public static JinjaValue FromInt(long value) => new(JinjaKind.Int, value, 0, null);

    /// <summary>A float.</summary>
    public static JinjaValue FromFloat(double value) => new(JinjaKind.Float, 0, value, null);

    /// <summary>A string (null becomes None).</summary>
    public static JinjaValue FromString(string? value) => value is null ? None : new(JinjaKind.String, 0, 0, value);

    /// <summary>A list.</summary>
    public static JinjaValue FromList(List<JinjaValue> items) => new(JinjaKind.List, 0, 0, items);

    /// <summary>A tuple.</summary>
    public static JinjaValue FromTuple(List<JinjaValue> items) => new(JinjaKind.Tuple, 0, 0, items);

    /// <summary>A dict.</summary>
    public static JinjaValue FromDict(JinjaDict dict) => new(JinjaKind.Dict, 0, 0, dict);

    /// <summary>A namespace.</summary>
    public static JinjaValue FromNamespace(JinjaDict attributes) => new(JinjaKind.Namespace, 0, 0, attributes);

    /// <summary>A function.</summary>
    public static JinjaValue FromCallable(JinjaCallable function) => new(JinjaKind.Callable, 0, 0, function);

    /// <summary>An object with attributes.</summary>
    public static JinjaValue FromObject(IJinjaObject value) => new(JinjaKind.Object, 0, 0, value);

    /// <summary>Whether undefined.</summary>
    public bool IsUndefined => Kind == JinjaKind.Undefined;

    /// <summary>Whether None.</summary>
    public bool IsNone => Kind == JinjaKind.None;

    /// <summary>Whether a string.</summary>
    public bool IsString => Kind == JinjaKind.String;

    /// <summary>Whether an int, float or bool (Python numbers).</summary>
    public bool IsNumber => Kind is JinjaKind.Int or JinjaKind.Float or JinjaKind.Bool;

    /// <summary>Whether a list or tuple.</summary>
    public bool IsSequence => Kind is JinjaKind.List or JinjaKind.Tuple;

    /// <summary>The boolean (for <see cref="JinjaKind.Bool"/>).</summary>
    public bool AsBool => _int != 0;

    /// <summary>The integer (ints and bools).</summary>
    public long AsInt => Kind == JinjaKind.Float ? (long)_float : _int;

    /// <summary>The number as a double.</summary>
    public double AsDouble => Kind == JinjaKind.Float ? _float : _int;

    /// <summary>The string (for <see cref="JinjaKind.String"/>).</summary>
    public string AsString => (string)_obj!;

    /// <summary>The items (lists and tuples).</summary>
    public List<JinjaValue> AsList => (List<JinjaValue>)_obj!;

    /// <summary>The dict (dicts and namespaces).</summary>
    public JinjaDict AsDict => (JinjaDict)_obj!;

    /// <summary>The function.</summary>
    public JinjaCallable AsCallable => (JinjaCallable)_obj!;

    /// <summary>The object.</summary>
    public IJinjaObject AsObject => (IJinjaObject)_obj!;

    /// <summary>Python truthiness.</summary>
    public bool IsTrue => Kind switch
    {
        JinjaKind.Undefined or JinjaKind.None => false,
        JinjaKind.Bool or JinjaKind.Int => _int != 0,
        JinjaKind.Float => _float != 0,
        JinjaKind.String => AsString.Length > 0,
        JinjaKind.List or JinjaKind.Tuple => AsList.Count > 0,
        JinjaKind.Dict => AsDict.Count > 0,
        _ => true,
    };

    /// <summary>Python <c>str()</c>; undefined is empty.</summary>
    public override string ToString() => Kind switch
    {
        JinjaKind.Undefined => "",
        JinjaKind.String => AsString,
        _ => Repr(),
    };

    /// <summary>Python <c>repr()</c>.</summary>
    public string Repr()
    {
        var sb = new StringBuilder();
        AppendRepr(sb);
        return sb.ToString();
    }

    internal void AppendRepr(StringBuilder sb)
    {
        switch (Kind)
        {
            case JinjaKind.Undefined: sb.Append("Undefined"); break;
            case JinjaKind.None: sb.Append("None"); break;
            case JinjaKind.Bool: sb.Append(AsBool ? "True" : "False"); break;
            case JinjaKind.Int: sb.Append(_int.ToString(CultureInfo.InvariantCulture)); break;
            case JinjaKind.Float: sb.Append(FormatFloat(_float)); break;
            case JinjaKind.String: AppendStringRepr(sb, AsString); break;
            case JinjaKind.List:
            case JinjaKind.Tuple:
                bool tuple = Kind == JinjaKind.Tuple;
                sb.Append(tuple ? '(' : '[');
                List<JinjaValue> items = AsList;
                for (int i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    items[i].AppendRepr(sb);
                }

                if (tuple && items.Count == 1) sb.Append(',');
                sb.Append(tuple ? ')' : ']');
                break;
            case JinjaKind.Dict:
                sb.Append('{');
                bool first = true;
                foreach (KeyValuePair<JinjaValue, JinjaValue> pair in AsDict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    pair.Key.AppendRepr(sb);
                    sb.Append(": ");
                    pair.Value.AppendRepr(sb);
                }

                sb.Append('}');
                break;
            case JinjaKind.Namespace: sb.Append("<Namespace>"); break;
            case JinjaKind.Callable: sb.Append("<function>"); break;
            default: sb.Append("<object>"); break;
        }
    }

    /// <summary>Python's <c>repr</c> of a string: single quotes unless the text has one and no double quote.</summary>
    public static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append(quote);
    }

    /// <summary>Python's <c>repr</c> of a float: shortest round-trip digits, exponent below 1e-4 and from 1e16.</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        string r = Math.Abs(value).ToString("E16", CultureInfo.InvariantCulture);
        // Shortest round-trip digits.
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exponent;
        int e = shortest.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? shortest : shortest.Substring(0, e);
        int exp10 = e < 0 ? 0 : int.Parse(shortest.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.');
        string intPart = dot < 0 ? mantissa : mantissa.Substring(0, dot);
        string fracPart = dot < 0 ? "" : mantissa.Substring(dot + 1);
        digits = (intPart + fracPart).TrimStart('0');
        int leadingZeros = (intPart + fracPart).Length - (intPart + fracPart).TrimStart('0').Length;
        exponent = intPart.Length - leadingZeros + exp10; // decimal point position: value = 0.digits * 10^exponent
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        _ = r;

        var sb = new StringBuilder();
        if (value < 0) sb.Append('-');
        if (exponent <= -4 || exponent > 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int x = exponent - 1;
            sb.Append('e').Append(x < 0 ? '-' : '+').Append(Math.Abs(x).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exponent <= 0)
        {
            sb.Append("0.").Append('0', -exponent).Append(digits);
        }
        else if (exponent >= digits.Length)
        {
            sb.Append(digits).Append('0', exponent - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, exponent).Append('.').Append(digits, exponent, digits.Length - exponent);
        }

        return sb.ToString();
    }

    /// <summary>Python equality: numbers compare by value (<c>True == 1</c>), containers deeply.</summary>
    public bool Equals(JinjaValue other)
    {
        if (IsNumber && other.IsNumber)
        {
            if (Kind == JinjaKind.Float || other.Kind == JinjaKind.Float) return AsDouble == other.AsDouble;
            return _int == other._int;
        }

        if (Kind != other.Kind)
        {
            if (IsSequence && other.IsSequence) return false;
            return false;
        }

        switch (Kind)
        {
            case JinjaKind.Undefined:
            case JinjaKind.None:
                return true;
            case JinjaKind.String:
                return string.Equals(AsString, other.AsString, StringComparison.Ordinal);
            case JinjaKind.List:
            case JinjaKind.Tuple:
                List<JinjaValue> a = AsList, b = other.AsList;
                if (a.Count != b.Count) return false;
                for (int i = 0; i < a.Count; i++)
                {
                    if (!a[i].Equals(b[i])) return false;
                }

                return true;
            case JinjaKind.Dict:
                JinjaDict x = AsDict, y = other.AsDict;
                if (x.Count != y.Count) return false;
                foreach (KeyValuePair<JinjaValue, JinjaValue> pair in x)
                {
                    if (!y.TryGetValue(pair.Key, out JinjaValue v) || !v.Equals(pair.Value)) return false;
                }

                return true;
            default:
                return ReferenceEquals(_obj, other._obj);
        }
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is JinjaValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Kind switch
    {
        JinjaKind.Bool or JinjaKind.Int => _int.GetHashCode(),
        JinjaKind.Float => _float == Math.Floor(_float) && Math.Abs(_float) < 9e18 ? ((long)_float).GetHashCode() : _float.GetHashCode(),
        JinjaKind.String => StringComparer.Ordinal.GetHashCode(AsString),
        JinjaKind.Tuple => AsList.Count,
        _ => (int)Kind,
    };

    /// <summary>Python equality.</summary>
    public static bool operator ==(JinjaValue left, JinjaValue right) => left.Equals(right);

    /// <summary>Python inequality.</summary>
    public static bool operator !=(JinjaValue left, JinjaValue right) => !left.Equals(right);

    /// <summary>A string value.</summary>
    public static implicit operator JinjaValue(string value) => FromString(value);
}

/// <summary>An insertion-ordered dict of Jinja values (Python's <c>dict</c>).</summary>
/// <remarks>
/// Chat-template dicts are small (a message has 2–5 keys) and are looked up by string literals, so up to
/// <see cref="IndexThreshold"/> entries a lookup is a linear scan that compares string keys by reference first (the
/// generated code's literals and <see cref="JinjaFormatState.SetMessages"/>'s keys are the same interned strings); the
/// hash index is built only for larger dicts. Python equality (<c>1 == 1.0 == True</c>) is kept either way.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class JinjaDict : IEnumerable<KeyValuePair<JinjaValue, JinjaValue>>
{
    private const int IndexThreshold = 8;
    private readonly List<KeyValuePair<JinjaValue, JinjaValue>> _items;
    private Dictionary<JinjaValue, int>? _index;

    // A formatted conversation's message {role, content} is held as its two strings until something needs the entries
    // (enumeration, a write): filling a reused dict per message is then two stores, and `message['role']` two
    // compares. _role is non-null exactly while the dict is in that form.
    private string? _role;
    private string? _content;

    // A JSON object not read yet (Render's variables): its entries are made on first access, and `tojson` of a dict
    // nobody looked into writes the JSON itself. _jsonPending is true exactly while the dict is in that form.
    private System.Text.Json.JsonElement _json;
    private bool _jsonPending;

    /// <summary>An empty dict.</summary>
    public JinjaDict()
    {
        _items = new();
    }

    /// <summary>An empty dict with room for <paramref name="capacity"/> entries.</summary>
    public JinjaDict(int capacity)
    {
        _items = new(capacity);
    }

    /// <summary>A dict holding the properties of <paramref name="json"/> (an object), read when first needed.</summary>
    internal static JinjaDict FromJsonObject(System.Text.Json.JsonElement json) => new(0) { _json = json, _jsonPending = true };

    /// <summary>The JSON object this dict still is, when nothing has read or changed it.</summary>
    internal bool TryGetPendingJson(out System.Text.Json.JsonElement json)
    {
        json = _json;
        return _jsonPending;
    }

    /// <summary>Number of entries.</summary>
    public int Count
    {
        get
        {
            if (_jsonPending) Materialize();
            return _role is not null ? 2 : _items.Count;
        }
    }

    /// <summary>Sets a value, keeping the first insertion's position.</summary>
    public void Set(JinjaValue key, JinjaValue value)
    {
        Materialize();
        int i = IndexOf(key);
        if (i >= 0)
        {
            _items[i] = new KeyValuePair<JinjaValue, JinjaValue>(_items[i].Key, value);
            return;
        }

        _items.Add(new KeyValuePair<JinjaValue, JinjaValue>(key, value));
        if (_index is not null)
        {
            _index[key] = _items.Count - 1;
        }
        else if (_items.Count > IndexThreshold)
        {
            _index = new Dictionary<JinjaValue, int>(_items.Count * 2);
            for (int k = 0; k < _items.Count; k++) _index[_items[k].Key] = k;
        }
    }

    /// <summary>Sets a value by string key.</summary>
    public void Set(string key, JinjaValue value) => Set(JinjaValue.FromString(key), value);

    /// <summary>Removes every entry, keeping the storage (for dicts reused from one rendering to the next).</summary>
    internal void Clear()
    {
        _jsonPending = false;
        _json = default;
        _items.Clear();
        _index = null;
        _role = null;
        _content = null;
    }

    /// <summary>Makes this (reused) dict <c>{'role': role, 'content': content}</c>.</summary>
    internal void SetMessage(string role, string content)
    {
        Clear();
        _role = role;
        _content = content;
    }

    private void Materialize()
    {
        if (_jsonPending)
        {
            _jsonPending = false;
            System.Text.Json.JsonElement json = _json;
            _json = default;
            _items.Capacity = json.GetPropertyCount();
            JinjaJson.Fill(this, json);
            return;
        }

        if (_role is null) return;
        string role = _role, content = _content!;
        _role = null;
        _content = null;
        _items.Add(new KeyValuePair<JinjaValue, JinjaValue>(JinjaValue.FromString("role"), JinjaValue.FromString(role)));
        _items.Add(new KeyValuePair<JinjaValue, JinjaValue>(JinjaValue.FromString("content"), JinjaValue.FromString(content)));
    }

    // The message form's lookup: 0 for role, 1 for content, -1 for any other key.
    private static int MessageKey(string key) =>
        ReferenceEquals(key, "role") || key == "role" ? 0 : ReferenceEquals(key, "content") || key == "content" ? 1 : -1;

    private int IndexOf(JinjaValue key)
    {
        if (_jsonPending) Materialize();
        if (_index is not null) return _index.TryGetValue(key, out int found) ? found : -1;
        if (key.IsString) return IndexOf(key.AsString);
        for (int i = 0; i < _items.Count; i++)
        {
            if (_items[i].Key.Equals(key)) return i;
        }

        return -1;
    }

    private int IndexOf(string key)
    {
        if (_jsonPending) Materialize();
        if (_index is not null) return _index.TryGetValue(JinjaValue.FromString(key), out int found) ? found : -1;
        // Through a span: the entries are 48-byte structs, not worth copying out one by one.
        ReadOnlySpan<KeyValuePair<JinjaValue, JinjaValue>> items = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_items);
        for (int i = 0; i < items.Length; i++)
        {
            ref readonly KeyValuePair<JinjaValue, JinjaValue> entry = ref items[i];
            if (entry.Key.IsString && (ReferenceEquals(entry.Key.AsString, key) || string.Equals(entry.Key.AsString, key, StringComparison.Ordinal))) return i;
        }

        return -1;
    }

    /// <summary>Looks a key up.</summary>
    public bool TryGetValue(JinjaValue key, out JinjaValue value)
    {
        if (_role is not null)
        {
            // Only a string key can equal 'role' or 'content'.
            if (key.IsString) return TryGetValue(key.AsString, out value);
            value = default;
            return false;
        }

        int i = IndexOf(key);
        value = i >= 0 ? _items[i].Value : default;
        return i >= 0;
    }

    /// <summary>Looks a string key up.</summary>
    public bool TryGetValue(string key, out JinjaValue value)
    {
        if (_role is not null)
        {
            int k = MessageKey(key);
            value = k == 0 ? JinjaValue.FromString(_role) : k == 1 ? JinjaValue.FromString(_content) : default;
            return k >= 0;
        }

        int i = IndexOf(key);
        value = i >= 0 ? _items[i].Value : default;
        return i >= 0;
    }

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(JinjaValue key) => _role is not null ? key.IsString && MessageKey(key.AsString) >= 0 : IndexOf(key) >= 0;

    /// <summary>The entries in insertion order.</summary>
    public List<KeyValuePair<JinjaValue, JinjaValue>>.Enumerator GetEnumerator()
    {
        Materialize();
        return _items.GetEnumerator();
    }

    IEnumerator<KeyValuePair<JinjaValue, JinjaValue>> IEnumerable<KeyValuePair<JinjaValue, JinjaValue>>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
#endif
