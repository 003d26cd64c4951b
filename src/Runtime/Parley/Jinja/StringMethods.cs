#if NET
using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Parley.Jinja;

/// <summary>Python <c>str</c> methods templates call (<c>strip</c>, <c>split</c>, <c>startswith</c>, <c>format</c> …).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StringMethods
{
    private static TemplateException NoKeywords(string name) => new("TypeError: str." + name + "() takes no keyword arguments");

    /// <summary>Calls <c>s.name(args)</c>.</summary>
    public static JinjaValue Call(string s, string name, JinjaArgs args)
    {
        if (args.Names.Length > 0 && name is not ("split" or "rsplit" or "format" or "splitlines"))
        {
            throw NoKeywords(name);
        }

        JinjaValue Arg(int i) => i < args.Count ? args.Positional[i] : default;
        switch (name)
        {
            case "strip": return JinjaValue.FromString(Strip(s, Arg(0), true, true));
            case "lstrip": return JinjaValue.FromString(Strip(s, Arg(0), true, false));
            case "rstrip": return JinjaValue.FromString(Strip(s, Arg(0), false, true));
            case "upper": return JinjaValue.FromString(s.ToUpperInvariant());
            case "lower": return JinjaValue.FromString(s.ToLowerInvariant());
            case "title": return JinjaValue.FromString(Title(s));
            case "capitalize": return JinjaValue.FromString(Capitalize(s));
            case "swapcase": return JinjaValue.FromString(new string(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray()));
            case "startswith": return JinjaValue.FromBool(Affix(s, Arg(0), true));
            case "endswith": return JinjaValue.FromBool(Affix(s, Arg(0), false));
            case "split":
                return Split(s, args.Get(0, "sep", JinjaValue.None), args.Get(1, "maxsplit", JinjaValue.FromInt(-1)).AsInt);
            case "rsplit":
                return RSplit(s, args.Get(0, "sep", JinjaValue.None), args.Get(1, "maxsplit", JinjaValue.FromInt(-1)).AsInt);
            case "splitlines":
                return JinjaValue.FromList(SplitLines(s));
            case "replace":
                return JinjaValue.FromString(Replace(s, Arg(0).ToString(), Arg(1).ToString(), args.Count > 2 ? Arg(2).AsInt : -1));
            case "find": return JinjaValue.FromInt(s.IndexOf(Arg(0).ToString(), StringComparison.Ordinal));
            case "rfind": return JinjaValue.FromInt(s.LastIndexOf(Arg(0).ToString(), StringComparison.Ordinal));
            case "index":
                int index = s.IndexOf(Arg(0).ToString(), StringComparison.Ordinal);
                if (index < 0) throw new TemplateException("ValueError: substring not found");
                return JinjaValue.FromInt(index);
            case "count":
                string needle = Arg(0).ToString();
                if (needle.Length == 0) return JinjaValue.FromInt(s.Length + 1);
                int count = 0;
                for (int at = s.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = s.IndexOf(needle, at + needle.Length, StringComparison.Ordinal)) count++;
                return JinjaValue.FromInt(count);
            case "join": return JinjaValue.FromString(string.Join(s, JinjaRuntime.Iterate(Arg(0)).Select(v => v.ToString())));
            case "isdigit": return JinjaValue.FromBool(s.Length > 0 && s.All(char.IsDigit));
            case "isnumeric": return JinjaValue.FromBool(s.Length > 0 && s.All(char.IsDigit));
            case "isalpha": return JinjaValue.FromBool(s.Length > 0 && s.All(char.IsLetter));
            case "isalnum": return JinjaValue.FromBool(s.Length > 0 && s.All(char.IsLetterOrDigit));
            case "isspace": return JinjaValue.FromBool(s.Length > 0 && s.All(IsPyWhite));
            case "isupper": return JinjaValue.FromBool(IsCased(s, upper: true));
            case "islower": return JinjaValue.FromBool(IsCased(s, upper: false));
            case "format": return JinjaValue.FromString(Format(s, args));
            case "zfill":
                int width = (int)Arg(0).AsInt;
                return JinjaValue.FromString(s.Length >= width ? s : (s.StartsWith('-') || s.StartsWith('+') ? s[0] + new string('0', width - s.Length) + s[1..] : new string('0', width - s.Length) + s));
            case "center": return JinjaValue.FromString(Center(s, (int)Arg(0).AsInt, args.Count > 1 ? Arg(1).AsString : " "));
            case "ljust": return JinjaValue.FromString(s.PadRight((int)Arg(0).AsInt, args.Count > 1 ? Arg(1).AsString[0] : ' '));
            case "rjust": return JinjaValue.FromString(s.PadLeft((int)Arg(0).AsInt, args.Count > 1 ? Arg(1).AsString[0] : ' '));
            case "removeprefix": return JinjaValue.FromString(s.StartsWith(Arg(0).ToString(), StringComparison.Ordinal) ? s[Arg(0).ToString().Length..] : s);
            case "removesuffix": return JinjaValue.FromString(Arg(0).ToString().Length > 0 && s.EndsWith(Arg(0).ToString(), StringComparison.Ordinal) ? s[..^Arg(0).ToString().Length] : s);
            default:
                throw new TemplateException("AttributeError: 'str' object has no attribute '" + name + "'");
        }
    }

    private static List<JinjaValue> SplitLines(string s)
    {
        var lines = new List<JinjaValue>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\n' || s[i] == '\r')
            {
                lines.Add(JinjaValue.FromString(s.Substring(start, i - start)));
                if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                start = i + 1;
            }
        }

        if (start < s.Length) lines.Add(JinjaValue.FromString(s.Substring(start)));
        return lines;
    }

    internal static string Center(string s, int width, string fill)
    {
        if (s.Length >= width) return s;
        int total = width - s.Length;
        int left = total / 2 + (total & width & 1);
        return new string(fill[0], left) + s + new string(fill[0], total - left);
    }

    /// <summary>Python's <c>str.strip()</c> without arguments.</summary>
    internal static string PyStrip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPyWhite(s[start])) start++;
        while (end > start && IsPyWhite(s[end - 1])) end--;
        return s.Substring(start, end - start);
    }

    /// <summary>Python's <c>str.lstrip()</c> without arguments.</summary>
    internal static string PyLStrip(string s)
    {
        int start = 0;
        while (start < s.Length && IsPyWhite(s[start])) start++;
        return s.Substring(start);
    }

    /// <summary>Python's <c>str.islower()</c> (<paramref name="upper"/> false) or <c>str.isupper()</c>: every cased character in that case, and at least one.</summary>
    internal static bool IsCased(string s, bool upper)
    {
        bool cased = false;
        foreach (Rune rune in s.EnumerateRunes())
        {
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.UppercaseLetter:
                    if (!upper) return false;
                    cased = true;
                    break;
                case UnicodeCategory.LowercaseLetter:
                    if (upper) return false;
                    cased = true;
                    break;
                case UnicodeCategory.TitlecaseLetter:
                    return false;
            }
        }

        return cased;
    }

    /// <summary>Python's <c>str.isspace</c> for one character: .NET's whitespace plus the separators U+001C–U+001F.</summary>
    internal static bool IsPyWhite(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    internal static string Strip(string s, JinjaValue chars, bool left, bool right)
    {
        if (chars.IsUndefined || chars.IsNone)
        {
            int a = 0, b = s.Length;
            if (left) while (a < b && IsPyWhite(s[a])) a++;
            if (right) while (b > a && IsPyWhite(s[b - 1])) b--;
            string stripped = s.Substring(a, b - a);
            if (ContentTracker.Current is not null) ContentTracker.Cut(s, stripped, a);
            return stripped;
        }

        // Trim the span (no char[] of the set, no string when nothing is trimmed: `content.lstrip('\n')` runs per message).
        ReadOnlySpan<char> set = chars.IsString ? chars.AsString : chars.ToString();
        ReadOnlySpan<char> span = s;
        int start = left ? span.Length - span.TrimStart(set).Length : 0;
        int end = right ? span.TrimEnd(set).Length : span.Length;
        if (end < start) end = start;
        string cut = s.Substring(start, end - start);
        if (ContentTracker.Current is not null) ContentTracker.Cut(s, cut, start);
        return cut;
    }

    internal static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            if (char.IsLetter(c))
            {
                sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                previousCased = true;
            }
            else
            {
                sb.Append(c);
                previousCased = false;
            }
        }

        return sb.ToString();
    }

    internal static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s.Substring(1).ToLowerInvariant();

    private static bool Affix(string s, JinjaValue affix, bool start)
    {
        if (affix.Kind == JinjaKind.Tuple)
        {
            return affix.AsList.Any(a => Affix(s, a, start));
        }

        if (!affix.IsString) throw new TemplateException("TypeError: " + (start ? "startswith" : "endswith") + " first arg must be str or a tuple of str");
        return start ? s.StartsWith(affix.AsString, StringComparison.Ordinal) : s.EndsWith(affix.AsString, StringComparison.Ordinal);
    }

    internal static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) count = long.MaxValue;
        // Nothing to replace (`.replace('/think', '')` on most system prompts): the same string, no copy.
        if (old.Length > 0 && (count == 0 || !s.Contains(old, StringComparison.Ordinal))) return s;
        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            long done = 0;
            for (int i = 0; i <= s.Length; i++)
            {
                if (done < count)
                {
                    sb.Append(replacement);
                    done++;
                }

                if (i < s.Length) sb.Append(s[i]);
            }

            return sb.ToString();
        }

        int pos = 0;
        long replaced = 0;
        while (replaced < count)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, pos, at - pos).Append(replacement);
            pos = at + old.Length;
            replaced++;
        }

        sb.Append(s, pos, s.Length - pos);
        return sb.ToString();
    }

    private static JinjaValue Split(string s, JinjaValue sep, long maxSplit)
    {
        var parts = new List<JinjaValue>();
        if (sep.IsNone || sep.IsUndefined)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsPyWhite(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count >= maxSplit)
                {
                    parts.Add(JinjaValue.FromString(s.Substring(i)));
                    break;
                }

                int start = i;
                while (i < s.Length && !IsPyWhite(s[i])) i++;
                parts.Add(JinjaValue.FromString(s.Substring(start, i - start)));
            }

            return JinjaValue.FromList(parts);
        }

        string separator = sep.ToString();
        if (separator.Length == 0) throw new TemplateException("ValueError: empty separator");
        int pos = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(separator, pos, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(JinjaValue.FromString(s.Substring(pos, at - pos)));
            pos = at + separator.Length;
        }

        parts.Add(JinjaValue.FromString(s.Substring(pos)));
        return JinjaValue.FromList(parts);
    }

    private static JinjaValue RSplit(string s, JinjaValue sep, long maxSplit)
    {
        if (maxSplit < 0 || sep.IsNone || sep.IsUndefined) return Split(s, sep, maxSplit);
        string separator = sep.ToString();
        var parts = new List<JinjaValue>();
        int end = s.Length;
        while (parts.Count < maxSplit)
        {
            int at = end == 0 ? -1 : s.LastIndexOf(separator, end - 1, StringComparison.Ordinal);
            if (at < 0 || at + separator.Length > end) break;
            parts.Insert(0, JinjaValue.FromString(s.Substring(at + separator.Length, end - at - separator.Length)));
            end = at;
        }

        parts.Insert(0, JinjaValue.FromString(s.Substring(0, end)));
        return JinjaValue.FromList(parts);
    }

    private static string Format(string format, JinjaArgs args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '{')
            {
                if (i + 1 < format.Length && format[i + 1] == '{')
                {
                    sb.Append('{');
                    i++;
                    continue;
                }

                int close = format.IndexOf('}', i);
                if (close < 0) throw new TemplateException("ValueError: Single '{' encountered in format string");
                string field = format.Substring(i + 1, close - i - 1);
                string spec = "";
                int colon = field.IndexOf(':');
                if (colon >= 0)
                {
                    spec = field.Substring(colon + 1);
                    field = field.Substring(0, colon);
                }

                JinjaValue value = field.Length == 0 ? args.Positional[auto++]
                    : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? args.Positional[n]
                    : args.GetNamed(field);
                sb.Append(spec.Length > 0 && value.IsNumber && spec.EndsWith('f') && int.TryParse(spec.TrimStart('.').TrimEnd('f'), out int digits)
                    ? value.AsDouble.ToString("F" + digits, CultureInfo.InvariantCulture)
                    : value.ToString());
                i = close;
            }
            else if (c == '}' && i + 1 < format.Length && format[i + 1] == '}')
            {
                sb.Append('}');
                i++;
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
#endif
