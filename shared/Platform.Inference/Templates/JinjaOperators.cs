using System.Globalization;
using System.Text;

namespace Platform.Inference.Templates;

/// <summary>Operators, attribute and item lookup, and the methods of strings, dicts and lists, with Python's behaviour.</summary>
internal static class JinjaOperators
{
    public static object? Add(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => (object)checked(x + y),
        _ when Py.IsNumber(a) && Py.IsNumber(b) => Py.Number(a) + Py.Number(b),
        (string x, string y) => x + y,
        (List<object?> x, List<object?> y) => x.Concat(y).ToList(),
        (object?[] x, object?[] y) => x.Concat(y).ToArray(),
        _ => throw TypeError("+", a, b),
    };

    public static object? Arithmetic(string op, object? a, object? b)
    {
        switch (op)
        {
            case "+":
                return Add(a, b);
            case "~":
                return Py.Str(a) + Py.Str(b);
            case "*" when (a is string && b is long) || (a is long && b is string):
                var (s, n) = a is string t ? (t, (long)b!) : ((string)b!, (long)a!);
                return n <= 0 ? "" : new StringBuilder().Insert(0, s, (int)n).ToString();
            case "*" when a is List<object?> l && b is long times:
                return Enumerable.Repeat(l, (int)Math.Max(0, times)).SelectMany(x => x).ToList();
        }

        if (!Py.IsNumber(a) || !Py.IsNumber(b))
        {
            throw TypeError(op, a, b);
        }

        if (a is long or bool && b is long or bool && op != "/")
        {
            var (x, y) = ((long)Py.Number(a), (long)Py.Number(b));
            return op switch
            {
                "-" => (object)checked(x - y),
                "*" => (object)checked(x * y),
                "//" => y == 0 ? throw new ChatTemplateException("integer division by zero") : (object)FloorDiv(x, y),
                "%" => y == 0 ? throw new ChatTemplateException("integer modulo by zero") : (object)(x - (y * FloorDiv(x, y))),
                "**" => y >= 0 ? (object)(long)BigPow(x, y) : (object)Math.Pow(x, y),
                _ => throw TypeError(op, a, b),
            };
        }

        var (p, q) = (Py.Number(a), Py.Number(b));
        return op switch
        {
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw new ChatTemplateException("division by zero") : p / q,
            "//" => q == 0 ? throw new ChatTemplateException("float floor division by zero") : Math.Floor(p / q),
            "%" => q == 0 ? throw new ChatTemplateException("float modulo") : p - (q * Math.Floor(p / q)),
            "**" => Math.Pow(p, q),
            _ => throw TypeError(op, a, b),
        };
    }

    private static long FloorDiv(long x, long y) => (x / y) - ((x % y != 0 && (x < 0) != (y < 0)) ? 1 : 0);

    private static System.Numerics.BigInteger BigPow(long x, long y) =>
        System.Numerics.BigInteger.Pow(x, (int)y) is var r && r >= long.MinValue && r <= long.MaxValue ? r : throw new ChatTemplateException($"{x} ** {y} does not fit in 64 bits");

    private static ChatTemplateException TypeError(string op, object? a, object? b) =>
        a is Undefined u ? u.Error() : b is Undefined v ? v.Error()
        : new ChatTemplateException($"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");

    /// <summary><c>needle in haystack</c>: a substring, an item of a sequence, a key of a dict.</summary>
    public static bool Contains(object? haystack, object? needle) => haystack switch
    {
        string s when needle is string n => s.Contains(n, StringComparison.Ordinal),
        string => throw new ChatTemplateException($"'in <string>' requires string as left operand, not {Py.TypeName(needle)}"),
        OrderedDictionary<string, object?> d => needle is string k && d.ContainsKey(k),
        Namespace ns => needle is string k && ns.Fields.ContainsKey(k),
        Undefined u => throw u.Error(),
        _ => Py.Sequence(haystack) is { } l ? l.Any(x => Py.Equals(x, needle)) : throw new ChatTemplateException($"argument of type '{Py.TypeName(haystack)}' is not iterable"),
    };

    /// <summary><c>x.name</c>: an attribute (a method) first, then a key, as Jinja's getattr.</summary>
    public static object? GetAttr(object? target, string name)
    {
        if (target is Undefined u)
        {
            throw u.Error();
        }

        if (Method(target, name) is { } method)
        {
            return method;
        }

        return Lookup(target, name) is { } found ? found.Value : new Undefined($"'{Py.TypeName(target)} object' has no attribute '{name}'");
    }

    /// <summary><c>x[key]</c>: a key or index first, then an attribute, as Jinja's getitem.</summary>
    public static object? GetItem(object? target, object? key)
    {
        if (target is Undefined u)
        {
            throw u.Error();
        }

        if (key is long or bool && Py.Sequence(target) is { } list)
        {
            var i = (long)Py.Number(key);
            i = i < 0 ? list.Count + i : i;
            return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"'{Py.TypeName(target)} object' has no element {key}");
        }

        if (key is long index && target is string s)
        {
            var runes = s.EnumerateRunes().ToList();
            var i = index < 0 ? runes.Count + index : index;
            return i >= 0 && i < runes.Count ? runes[(int)i].ToString() : new Undefined($"string index {key}");
        }

        if (key is string name)
        {
            return Lookup(target, name) is { } found ? found.Value : (object?)Method(target, name) ?? new Undefined($"'{Py.TypeName(target)} object' has no attribute '{name}'");
        }

        return new Undefined($"'{Py.TypeName(target)} object' has no element {Py.Repr(key)}");
    }

    private static Boxed? Lookup(object? target, string name) => target switch
    {
        OrderedDictionary<string, object?> d when d.TryGetValue(name, out var v) => new Boxed(v),
        Namespace ns when ns.Fields.TryGetValue(name, out var v) => new Boxed(v),
        LoopInfo loop => loop.Get(name),
        _ => null,
    };

    /// <summary>A found value (which may itself be None), told apart from nothing found.</summary>
    internal sealed record Boxed(object? Value);

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        long? Int(object? v) => v switch { null => null, long i => i, bool b => b ? 1 : 0, _ => throw new ChatTemplateException($"slice indices must be integers or None, not {Py.TypeName(v)}") };
        var (items, isString) = target switch
        {
            string s => (s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(), true),
            Undefined u => throw u.Error(),
            _ => (Py.Sequence(target)?.ToList() ?? throw new ChatTemplateException($"'{Py.TypeName(target)}' object is not subscriptable"), false),
        };
        var n = items.Count;
        var by = Int(step) ?? 1;
        if (by == 0)
        {
            throw new ChatTemplateException("slice step cannot be zero");
        }

        long Clamp(long? v, long fallback, long low, long high) => v is not { } x ? fallback : Math.Clamp(x < 0 ? x + n : x, low, high);
        var picked = new List<object?>();
        if (by > 0)
        {
            for (var i = Clamp(Int(start), 0, 0, n); i < Clamp(Int(stop), n, 0, n); i += by)
            {
                picked.Add(items[(int)i]);
            }
        }
        else
        {
            for (var i = Clamp(Int(start), n - 1, -1, n - 1); i > Clamp(Int(stop), -1, -1, n - 1); i += by)
            {
                picked.Add(items[(int)i]);
            }
        }

        return isString ? string.Concat(picked.Cast<string>()) : target is object?[] ? picked.ToArray() : picked;
    }

    private static BoundMethod? Method(object? target, string name)
    {
        JinjaFunction? call = (target, name) switch
        {
            (string s, "strip") => (a, _) => a.Count > 0 && a[0] is string c ? s.Trim(c.ToCharArray()) : s.Trim(),
            (string s, "lstrip") => (a, _) => a.Count > 0 && a[0] is string c ? s.TrimStart(c.ToCharArray()) : s.TrimStart(),
            (string s, "rstrip") => (a, _) => a.Count > 0 && a[0] is string c ? s.TrimEnd(c.ToCharArray()) : s.TrimEnd(),
            (string s, "upper") => (_, _) => s.ToUpperInvariant(),
            (string s, "lower") => (_, _) => s.ToLowerInvariant(),
            (string s, "title") => (_, _) => JinjaBuiltins.ApplyFilter("title", s, [], new Dictionary<string, object?>()),
            (string s, "capitalize") => (_, _) => JinjaBuiltins.ApplyFilter("capitalize", s, [], new Dictionary<string, object?>()),
            (string s, "startswith") => (a, _) => a.Count == 1 && a[0] is string p ? s.StartsWith(p, StringComparison.Ordinal) : throw new ChatTemplateException("startswith takes one string"),
            (string s, "endswith") => (a, _) => a.Count == 1 && a[0] is string p ? s.EndsWith(p, StringComparison.Ordinal) : throw new ChatTemplateException("endswith takes one string"),
            (string s, "split") => (a, _) => Split(s, a.Count > 0 ? a[0] as string : null, a.Count > 1 && a[1] is long m ? m : -1),
            (string s, "replace") => (a, _) => a.Count >= 2 && a[0] is string o && a[1] is string r ? s.Replace(o, r, StringComparison.Ordinal) : throw new ChatTemplateException("replace takes two strings"),
            (string s, "find") => (a, _) => a.Count == 1 && a[0] is string p ? (long)s.IndexOf(p, StringComparison.Ordinal) : throw new ChatTemplateException("find takes one string"),
            (string s, "count") => (a, _) => a.Count == 1 && a[0] is string p && p.Length > 0 ? (long)((s.Length - s.Replace(p, "", StringComparison.Ordinal).Length) / p.Length) : throw new ChatTemplateException("count takes one non-empty string"),
            (string s, "join") => (a, _) => a.Count == 1 ? string.Join(s, Py.Iterate(a[0]).Select(Py.Str)) : throw new ChatTemplateException("join takes one argument"),
            (string s, "isdigit") => (_, _) => s.Length > 0 && s.All(char.IsDigit),
            (OrderedDictionary<string, object?> d, "items") => (_, _) => JinjaBuiltins.Items(d),
            (OrderedDictionary<string, object?> d, "keys") => (_, _) => d.Keys.Cast<object?>().ToList(),
            (OrderedDictionary<string, object?> d, "values") => (_, _) => d.Values.ToList(),
            (OrderedDictionary<string, object?> d, "get") => (a, _) => a.Count >= 1 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null,
            _ => null,
        };
        return call is null ? null : new BoundMethod(target!, name, call);
    }

    /// <summary>Python's str.split: on runs of whitespace without a separator (no empty parts), else on the separator exactly.</summary>
    private static List<object?> Split(string s, string? separator, long max)
    {
        if (separator is null)
        {
            return [.. s.Split((char[]?)null, max < 0 ? int.MaxValue : (int)max + 1, StringSplitOptions.RemoveEmptyEntries).Select(x => (object?)x)];
        }

        if (separator.Length == 0)
        {
            throw new ChatTemplateException("empty separator");
        }

        return [.. s.Split(separator, max < 0 ? int.MaxValue : (int)max + 1, StringSplitOptions.None).Select(x => (object?)x)];
    }

    /// <summary>Formats a date as Python's strftime does, for the directives templates use.</summary>
    public static string Strftime(DateTime time, string format)
    {
        var b = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                b.Append(format[i]);
                continue;
            }

            var c = format[++i];
            b.Append(c switch
            {
                'd' => time.ToString("dd", CultureInfo.InvariantCulture),
                'm' => time.ToString("MM", CultureInfo.InvariantCulture),
                'Y' => time.ToString("yyyy", CultureInfo.InvariantCulture),
                'y' => time.ToString("yy", CultureInfo.InvariantCulture),
                'b' => time.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => time.ToString("MMMM", CultureInfo.InvariantCulture),
                'a' => time.ToString("ddd", CultureInfo.InvariantCulture),
                'A' => time.ToString("dddd", CultureInfo.InvariantCulture),
                'H' => time.ToString("HH", CultureInfo.InvariantCulture),
                'I' => time.ToString("hh", CultureInfo.InvariantCulture),
                'M' => time.ToString("mm", CultureInfo.InvariantCulture),
                'S' => time.ToString("ss", CultureInfo.InvariantCulture),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => time.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => throw new ChatTemplateException($"strftime_now: the directive %{c} is not supported by this renderer"),
            });
        }

        return b.ToString();
    }
}
