using System.Globalization;
using System.Text;

namespace Platform.Inference.Templates;

/// <summary>transformers' <c>tojson</c>: Python's <c>json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=sort_keys)</c>.</summary>
internal static class JinjaJson
{
    public static string Dumps(object? value, int? indent, bool sortKeys)
    {
        var b = new StringBuilder();
        Write(b, value, indent, sortKeys, 0);
        return b.ToString();
    }

    private static void Write(StringBuilder b, object? value, int? indent, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null:
                b.Append("null");
                return;
            case Undefined u:
                throw new ChatTemplateException($"{u.Hint} is undefined and cannot be written as JSON");
            case bool v:
                b.Append(v ? "true" : "false");
                return;
            case long i:
                b.Append(i.ToString(CultureInfo.InvariantCulture));
                return;
            case double d:
                b.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.FloatRepr(d));
                return;
            case string s:
                String(b, s);
                return;
            case OrderedDictionary<string, object?> dict:
                var pairs = sortKeys ? dict.OrderBy(p => p.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                Container(b, '{', '}', pairs.Count, indent, depth, k =>
                {
                    String(b, pairs[k].Key);
                    b.Append(": ");
                    Write(b, pairs[k].Value, indent, sortKeys, depth + 1);
                });
                return;
            default:
                var list = Py.Sequence(value) ?? throw new ChatTemplateException($"Object of type {Py.TypeName(value)} is not JSON serializable");
                Container(b, '[', ']', list.Count, indent, depth, k => Write(b, list[k], indent, sortKeys, depth + 1));
                return;
        }
    }

    private static void Container(StringBuilder b, char open, char close, int count, int? indent, int depth, Action<int> item)
    {
        b.Append(open);
        if (count == 0)
        {
            b.Append(close);
            return;
        }

        for (var k = 0; k < count; k++)
        {
            b.Append(k == 0 ? "" : indent is null ? ", " : ",");
            if (indent is { } n)
            {
                b.Append('\n').Append(' ', n * (depth + 1));
            }

            item(k);
        }

        if (indent is { } m)
        {
            b.Append('\n').Append(' ', m * depth);
        }

        b.Append(close);
    }

    private static void String(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                case < ' ': b.Append($"\\u{(int)c:x4}"); break;
                default: b.Append(c); break;
            }
        }

        b.Append('"');
    }
}
