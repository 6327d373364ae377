using System.Globalization;
using System.Text;

namespace Platform.Inference.Templates;

/// <summary>
/// The filters, tests and methods chat templates use, with Jinja's and Python's behaviour (transformers'
/// <c>tojson</c>: <c>json.dumps</c> with <c>ensure_ascii=False</c>). A name not listed is refused when
/// the template is parsed.
/// </summary>
internal static class JinjaBuiltins
{
    private delegate object? Filter(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

    private static readonly Dictionary<string, Filter> Filters = new(StringComparer.Ordinal)
    {
        ["trim"] = (v, a, _) => Text(v).Trim(),
        ["upper"] = (v, _, _) => Text(v).ToUpperInvariant(),
        ["lower"] = (v, _, _) => Text(v).ToLowerInvariant(),
        ["title"] = (v, _, _) => Title(Text(v)),
        ["capitalize"] = (v, _, _) => Text(v) is var s && s.Length > 0 ? char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant() : "",
        ["string"] = (v, _, _) => Py.Str(v),
        ["length"] = (v, _, _) => Length(v),
        ["count"] = (v, _, _) => Length(v),
        ["list"] = (v, _, _) => Py.Iterate(v).ToList(),
        ["first"] = (v, _, _) => Py.Iterate(v).FirstOrDefault(new Undefined("first item")),
        ["last"] = (v, _, _) => Py.Iterate(v).LastOrDefault(new Undefined("last item")),
        ["reverse"] = (v, _, _) => v is string s ? new string(s.Reverse().ToArray()) : Py.Iterate(v).Reverse().ToList(),
        ["join"] = (v, a, kw) => string.Join(Arg(a, kw, 0, "d") is { } d ? Py.Str(d) : "", Attribute(Py.Iterate(v), Arg(a, kw, 1, "attribute")).Select(Py.Str)),
        ["default"] = Default,
        ["d"] = Default,
        ["replace"] = (v, a, kw) => Text(v).Replace(Py.Str(Arg(a, kw, 0, "old")), Py.Str(Arg(a, kw, 1, "new")), StringComparison.Ordinal),
        ["int"] = (v, _, _) => v switch { long i => i, double d => (long)Math.Truncate(d), bool b => b ? 1L : 0L, string s when long.TryParse(s.Trim(), CultureInfo.InvariantCulture, out var i) => i, _ => 0L },
        ["float"] = (v, _, _) => v switch { long i => (double)i, double d => d, string s when double.TryParse(s.Trim(), CultureInfo.InvariantCulture, out var d) => d, _ => 0.0 },
        ["abs"] = (v, _, _) => v is long i ? (object)Math.Abs(i) : Math.Abs(Py.Number(v)),
        ["tojson"] = (v, a, kw) => JinjaJson.Dumps(v, Arg(a, kw, 0, "indent") is long n ? (int)n : null, Arg(a, kw, -1, "sort_keys") is true),
        ["items"] = (v, _, _) => v is OrderedDictionary<string, object?> d ? Items(d) : v is Undefined ? [] : throw new ChatTemplateException($"items needs a dict, not {Py.TypeName(v)}"),
        ["unique"] = (v, _, _) => Py.Iterate(v).Aggregate(new List<object?>(), (seen, x) => { if (!seen.Any(y => Py.Equals(Fold(x), Fold(y)))) { seen.Add(x); } return seen; }),
        ["sort"] = (v, a, kw) => Sort(v, Arg(a, kw, 0, "reverse") is true, Arg(a, kw, 2, "attribute")),
        ["map"] = Map,
        ["selectattr"] = (v, a, kw) => Select(v, a, byAttribute: true, keep: true),
        ["rejectattr"] = (v, a, kw) => Select(v, a, byAttribute: true, keep: false),
        ["select"] = (v, a, kw) => Select(v, a, byAttribute: false, keep: true),
        ["reject"] = (v, a, kw) => Select(v, a, byAttribute: false, keep: false),
        ["safe"] = (v, _, _) => v,
        ["min"] = (v, _, _) => Py.Iterate(v).Aggregate((x, y) => Py.Compare(y, x) < 0 ? y : x),
        ["max"] = (v, _, _) => Py.Iterate(v).Aggregate((x, y) => Py.Compare(y, x) > 0 ? y : x),
        ["sum"] = (v, _, _) => Py.Iterate(v).Aggregate((object?)0L, JinjaOperators.Add),
        ["indent"] = Indent,
        ["wordcount"] = (v, _, _) => (long)Text(v).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length,
    };

    private static readonly Dictionary<string, Func<object?, IReadOnlyList<object?>, bool>> Tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["string"] = (v, _) => v is string,
        ["number"] = (v, _) => v is long or double,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["mapping"] = (v, _) => v is OrderedDictionary<string, object?> or Namespace,
        ["sequence"] = (v, _) => v is string || Py.Sequence(v) is not null || v is OrderedDictionary<string, object?>,
        ["iterable"] = (v, _) => v is string || Py.Sequence(v) is not null || v is OrderedDictionary<string, object?>,
        ["callable"] = (v, _) => v is JinjaFunction or BoundMethod,
        ["odd"] = (v, _) => v is long i && Math.Abs(i % 2) == 1,
        ["even"] = (v, _) => v is long i && i % 2 == 0,
        ["divisibleby"] = (v, a) => v is long i && a.Count == 1 && a[0] is long n && n != 0 && i % n == 0,
        ["equalto"] = (v, a) => Py.Equals(v, One(a)),
        ["eq"] = (v, a) => Py.Equals(v, One(a)),
        ["ne"] = (v, a) => !Py.Equals(v, One(a)),
        ["sameas"] = (v, a) => Py.Equals(v, One(a)) && (v is null or bool || Py.TypeName(v) == Py.TypeName(One(a))),
        ["lt"] = (v, a) => Py.Compare(v, One(a)) < 0,
        ["le"] = (v, a) => Py.Compare(v, One(a)) <= 0,
        ["gt"] = (v, a) => Py.Compare(v, One(a)) > 0,
        ["ge"] = (v, a) => Py.Compare(v, One(a)) >= 0,
        ["in"] = (v, a) => JinjaOperators.Contains(One(a), v),
        ["lower"] = (v, _) => v is string s && s == s.ToLowerInvariant(),
        ["upper"] = (v, _) => v is string s && s == s.ToUpperInvariant(),
    };

    public static bool HasFilter(string name) => Filters.ContainsKey(name);

    public static bool HasTest(string name) => Tests.ContainsKey(name);

    public static object? ApplyFilter(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs) =>
        Filters[name](value, args, kwargs);

    public static bool ApplyTest(string name, object? value, IReadOnlyList<object?> args) => Tests[name](value, args);

    /// <summary>unique compares strings without case, as Jinja's does by default.</summary>
    private static object? Fold(object? v) => v is string s ? s.ToLowerInvariant() : v;

    private static object? One(IReadOnlyList<object?> args) =>
        args.Count == 1 ? args[0] : throw new ChatTemplateException($"the test takes one argument ({args.Count} given)");

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name) =>
        kwargs.TryGetValue(name, out var v) ? v : index >= 0 && index < args.Count ? args[index] : null;

    private static string Text(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Py.Str(v),
    };

    private static long Length(object? v) => v switch
    {
        string s => s.EnumerateRunes().Count(),
        Undefined => 0,
        OrderedDictionary<string, object?> d => d.Count,
        _ => Py.Sequence(v)?.Count ?? throw new ChatTemplateException($"object of type '{Py.TypeName(v)}' has no len()"),
    };

    private static string Title(string s)
    {
        var b = new StringBuilder(s.Length);
        var start = true;
        foreach (var c in s)
        {
            b.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = !char.IsLetterOrDigit(c) && c != '\'';
        }

        return b.ToString();
    }

    private static object? Default(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> kw)
    {
        var fallback = Arg(a, kw, 0, "default_value") ?? "";
        var boolean = Arg(a, kw, 1, "boolean") is true;
        return v is Undefined || (boolean && !Py.Truthy(v)) ? fallback : v;
    }

    public static List<object?> Items(OrderedDictionary<string, object?> d) => [.. d.Select(p => (object?)new object?[] { p.Key, p.Value })];

    private static IEnumerable<object?> Attribute(IEnumerable<object?> items, object? attribute) =>
        attribute is string name ? items.Select(x => JinjaOperators.GetItem(x, name)) : items;

    private static List<object?> Sort(object? v, bool reverse, object? attribute)
    {
        var items = Py.Iterate(v).ToList();
        var keys = Attribute(items, attribute).ToList();
        var order = Enumerable.Range(0, items.Count).ToList();
        order.Sort((x, y) => Py.Compare(keys[x], keys[y]) is var c && c != 0 ? (reverse ? -c : c) : x.CompareTo(y)); // stable, as Python's
        return [.. order.Select(i => items[i])];
    }

    private static object? Map(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> kw)
    {
        if (kw.TryGetValue("attribute", out var attribute))
        {
            return Py.Iterate(v).Select(x => JinjaOperators.GetItem(x, Py.Str(attribute)) is Undefined && kw.TryGetValue("default", out var d) ? d : JinjaOperators.GetItem(x, Py.Str(attribute))).ToList();
        }

        if (a.Count > 0 && a[0] is string filter && HasFilter(filter))
        {
            return Py.Iterate(v).Select(x => ApplyFilter(filter, x, [.. a.Skip(1)], new Dictionary<string, object?>())).ToList();
        }

        throw new ChatTemplateException("map needs attribute='name' or the name of a filter");
    }

    private static List<object?> Select(object? v, IReadOnlyList<object?> a, bool byAttribute, bool keep)
    {
        var skip = byAttribute ? 1 : 0;
        var attribute = byAttribute ? Py.Str(a.Count > 0 ? a[0] : throw new ChatTemplateException("selectattr and rejectattr need an attribute name")) : null;
        var test = a.Count > skip ? Py.Str(a[skip]) : null;
        if (test is not null && !HasTest(test))
        {
            throw new ChatTemplateException($"the test '{test}' is not supported by this renderer");
        }

        var testArgs = a.Skip(skip + 1).ToList();
        return [.. Py.Iterate(v).Where(x =>
        {
            var value = attribute is null ? x : JinjaOperators.GetItem(x, attribute);
            return (test is null ? Py.Truthy(value) : ApplyTest(test, value, testArgs)) == keep;
        })];
    }

    private static object? Indent(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> kw)
    {
        var width = Arg(a, kw, 0, "width") is { } w ? (w is long n ? new string(' ', (int)n) : Py.Str(w)) : "    ";
        var lines = Text(v).Split('\n');
        var first = Arg(a, kw, 1, "first") is true;
        var blank = Arg(a, kw, 2, "blank") is true;
        return string.Join("\n", lines.Select((l, i) => (i == 0 && !first) || (!blank && l.Trim().Length == 0) ? l : width + l));
    }
}
