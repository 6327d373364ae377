using System.Globalization;
using System.Text;

namespace Platform.Inference.Templates;

/// <summary>A template failed: a construct the renderer does not support, a type error, or the template's own <c>raise_exception</c>.</summary>
public sealed class ChatTemplateException(string message, bool raisedByTemplate = false) : Exception(message)
{
    /// <summary>The template called <c>raise_exception</c> (the conversation is refused, not the template).</summary>
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}

/// <summary>A name or attribute that is not there: prints as nothing, is false, iterates as empty; anything more is an error naming it.</summary>
internal sealed class Undefined(string hint)
{
    public string Hint { get; } = hint;

    public ChatTemplateException Error() => new($"{Hint} is undefined");
}

/// <summary>The mutable object <c>namespace()</c> makes (the way a template carries a value out of a loop).</summary>
internal sealed class Namespace
{
    public readonly Dictionary<string, object?> Fields = new(StringComparer.Ordinal);
}

/// <summary>A function a template can call: positional and keyword arguments in, a value out.</summary>
internal delegate object? JinjaFunction(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

/// <summary>A method looked up on a value (<c>text.split</c>, <c>tool.items</c>), called later.</summary>
internal sealed record BoundMethod(object Target, string Name, JinjaFunction Call);

/// <summary>
/// Python's semantics for the values a template sees: None is null, ints are long, floats double,
/// strings, lists (List), tuples (object?[]) and dicts (OrderedDictionary with string keys, insertion
/// ordered). Truth, equality, ordering, str() and repr() follow Python.
/// </summary>
internal static class Py
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long i => i != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        object?[] t => t.Length > 0,
        OrderedDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double Number(object? v) => v switch
    {
        long i => i,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new ChatTemplateException($"{TypeName(v)} is not a number"),
    };

    public static IReadOnlyList<object?>? Sequence(object? v) => v switch
    {
        List<object?> l => l,
        object?[] t => t,
        _ => null,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        OrderedDictionary<string, object?> => "dict",
        Namespace => "Namespace",
        _ => v.GetType().Name,
    };

    public static new bool Equals(object? a, object? b)
    {
        switch (a, b)
        {
            case (null, null):
                return true;
            case (Undefined, Undefined):
                return true;
            case (null or Undefined, _) or (_, null or Undefined):
                return false;
            case (long x, long y):
                return x == y;
            case var _ when IsNumber(a) && IsNumber(b):
                return Number(a) == Number(b);
            case (string x, string y):
                return string.Equals(x, y, StringComparison.Ordinal);
            case var _ when Sequence(a) is { } x && Sequence(b) is { } y && (a is List<object?>) == (b is List<object?>):
                return x.Count == y.Count && x.Zip(y).All(p => Equals(p.First, p.Second));
            case (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y):
                return x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var o) && Equals(p.Value, o));
            default:
                return ReferenceEquals(a, b);
        }
    }

    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return a is long x && b is long y ? x.CompareTo(y) : Number(a).CompareTo(Number(b));
        }

        if (a is string s && b is string t)
        {
            return string.CompareOrdinal(s, t);
        }

        if (Sequence(a) is { } l && Sequence(b) is { } m)
        {
            for (var i = 0; i < Math.Min(l.Count, m.Count); i++)
            {
                if (!Equals(l[i], m[i]))
                {
                    return Compare(l[i], m[i]);
                }
            }

            return l.Count.CompareTo(m.Count);
        }

        throw new ChatTemplateException($"'<' is not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>What <c>{{ v }}</c> writes: Python's str(), with an undefined value written as nothing.</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        switch (v)
        {
            case null:
                return "None";
            case Undefined:
                return "";
            case bool b:
                return b ? "True" : "False";
            case long i:
                return i.ToString(CultureInfo.InvariantCulture);
            case double d:
                return FloatRepr(d);
            case string s:
                return StringRepr(s);
            case List<object?> l:
                return "[" + string.Join(", ", l.Select(Repr)) + "]";
            case object?[] t:
                return t.Length == 1 ? $"({Repr(t[0])},)" : "(" + string.Join(", ", t.Select(Repr)) + ")";
            case OrderedDictionary<string, object?> d:
                return "{" + string.Join(", ", d.Select(p => $"{StringRepr(p.Key)}: {Repr(p.Value)}")) + "}";
            case Namespace:
                return "<Namespace>";
            default:
                throw new ChatTemplateException($"a {TypeName(v)} cannot be written as text");
        }
    }

    /// <summary>Python's repr of a float: the shortest digits that read back, scientific outside 1e-4..1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = r.IndexOf('E');
        var mantissa = exponentAt < 0 ? r : r[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(r[(exponentAt + 1)..], CultureInfo.InvariantCulture);
        var negative = mantissa.StartsWith('-');
        var digits = mantissa.TrimStart('-').Replace(".", "", StringComparison.Ordinal);
        var point = mantissa.TrimStart('-').IndexOf('.') is var p and >= 0 ? p : mantissa.TrimStart('-').Length;
        var lead = digits.TakeWhile(c => c == '0').Count();
        if (lead == digits.Length)
        {
            return negative ? "-0.0" : "0.0";
        }

        digits = digits[lead..].TrimEnd('0');
        var decimalExponent = point - lead + exponent - 1; // d.ddd x 10^decimalExponent
        string text;
        if (decimalExponent < -4 || decimalExponent >= 16)
        {
            var m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            text = $"{m}e{(decimalExponent < 0 ? "-" : "+")}{Math.Abs(decimalExponent):00}";
        }
        else if (decimalExponent < 0)
        {
            text = "0." + new string('0', -decimalExponent - 1) + digits;
        }
        else if (digits.Length <= decimalExponent + 1)
        {
            text = digits + new string('0', decimalExponent + 1 - digits.Length) + ".0";
        }
        else
        {
            text = digits[..(decimalExponent + 1)] + "." + digits[(decimalExponent + 1)..];
        }

        return negative ? "-" + text : text;
    }

    public static string StringRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var b = new StringBuilder().Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case var _ when c == quote: b.Append('\\').Append(c); break;
                case var _ when c < 0x20 || c == 0x7f: b.Append($"\\x{(int)c:x2}"); break;
                default: b.Append(c); break;
            }
        }

        return b.Append(quote).ToString();
    }

    /// <summary>The items a for loop or a filter walks: a sequence, a dict's keys, a string's characters; nothing for an undefined value.</summary>
    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        Undefined => [],
        List<object?> l => l,
        object?[] t => t,
        OrderedDictionary<string, object?> d => d.Keys,
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()),
        _ => throw new ChatTemplateException($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>Converts parsed JSON (a message, a tool schema) to template values.</summary>
    public static object? FromJson(System.Text.Json.JsonElement e) => e.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined => null,
        System.Text.Json.JsonValueKind.True => true,
        System.Text.Json.JsonValueKind.False => false,
        System.Text.Json.JsonValueKind.Number => e.TryGetInt64(out var i) ? i : e.GetDouble(),
        System.Text.Json.JsonValueKind.String => e.GetString(),
        System.Text.Json.JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        _ => ToDict(e.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, FromJson(p.Value)))),
    };

    public static OrderedDictionary<string, object?> ToDict(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
        {
            d[k] = v;
        }

        return d;
    }
}
