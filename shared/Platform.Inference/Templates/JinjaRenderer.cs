using System.Text;

namespace Platform.Inference.Templates;

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopInfo(IReadOnlyList<object?> items)
{
    public int Index0;

    public JinjaOperators.Boxed? Get(string name) => name switch
    {
        "index0" => new((long)Index0),
        "index" => new((long)Index0 + 1),
        "revindex0" => new((long)(items.Count - Index0 - 1)),
        "revindex" => new((long)(items.Count - Index0)),
        "first" => new(Index0 == 0),
        "last" => new(Index0 == items.Count - 1),
        "length" => new((long)items.Count),
        "depth" => new(1L),
        "depth0" => new(0L),
        "previtem" => new(Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item")),
        "nextitem" => new(Index0 < items.Count - 1 ? items[Index0 + 1] : new Undefined("there is no next item")),
        "cycle" => new(new BoundMethod(this, "cycle", (a, _) => a.Count > 0 ? a[Index0 % a.Count] : throw new ChatTemplateException("loop.cycle needs at least one value"))),
        _ => null,
    };
}

/// <summary>Runs a parsed template: scopes as Jinja's (a loop's body sees its own assignments only for that iteration; a namespace carries values out), output as Python's str().</summary>
internal sealed class JinjaRenderer
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private readonly List<Dictionary<string, object?>> _scopes;
    private readonly IReadOnlyDictionary<string, object?> _globals;

    private JinjaRenderer(List<Dictionary<string, object?>> scopes, IReadOnlyDictionary<string, object?> globals)
    {
        _scopes = scopes;
        _globals = globals;
    }

    public static string Render(List<Node> template, Dictionary<string, object?> context, IReadOnlyDictionary<string, object?> globals)
    {
        var output = new StringBuilder();
        var flow = new JinjaRenderer([context], globals).Run(template, output);
        if (flow != Flow.Normal)
        {
            throw new ChatTemplateException("break or continue outside a for loop");
        }

        return output.ToString();
    }

    private Flow Run(List<Node> nodes, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            var flow = Exec(node, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow Exec(Node node, StringBuilder output)
    {
        try
        {
            switch (node)
            {
                case TextNode t:
                    output.Append(t.Text);
                    return Flow.Normal;
                case PrintNode p:
                    output.Append(Py.Str(Eval(p.Value)));
                    return Flow.Normal;
                case IfNode i:
                    foreach (var (test, body) in i.Branches)
                    {
                        if (Py.Truthy(Eval(test)))
                        {
                            return Run(body, output);
                        }
                    }

                    return i.Else is null ? Flow.Normal : Run(i.Else, output);
                case ForNode f:
                    return For(f, output);
                case SetNode s:
                    Set(s);
                    return Flow.Normal;
                case SetBlockNode sb:
                    var captured = new StringBuilder();
                    Run(sb.Body, captured);
                    _scopes[^1][sb.Target] = captured.ToString();
                    return Flow.Normal;
                case MacroNode m:
                    _scopes[^1][m.Name] = Macro(m);
                    return Flow.Normal;
                case LoopControlNode c:
                    return c.Break ? Flow.Break : Flow.Continue;
                default:
                    throw new ChatTemplateException($"unknown statement {node.GetType().Name}");
            }
        }
        catch (ChatTemplateException e) when (!e.RaisedByTemplate && !e.Message.StartsWith("line ", StringComparison.Ordinal))
        {
            throw new ChatTemplateException($"line {node.Line}: {e.Message}");
        }
    }

    private Flow For(ForNode f, StringBuilder output)
    {
        var items = Py.Iterate(Eval(f.Items)).ToList();
        if (f.Filter is not null)
        {
            items = [.. items.Where(item =>
            {
                _scopes.Add(Bind(f.Targets, item));
                try
                {
                    return Py.Truthy(Eval(f.Filter));
                }
                finally
                {
                    _scopes.RemoveAt(_scopes.Count - 1);
                }
            })];
        }

        if (items.Count == 0)
        {
            return f.Else is null ? Flow.Normal : Run(f.Else, output);
        }

        var loop = new LoopInfo(items);
        for (var k = 0; k < items.Count; k++)
        {
            loop.Index0 = k;
            var frame = Bind(f.Targets, items[k]);
            frame["loop"] = loop;
            _scopes.Add(frame);
            try
            {
                if (Run(f.Body, output) == Flow.Break)
                {
                    break;
                }
            }
            finally
            {
                _scopes.RemoveAt(_scopes.Count - 1);
            }
        }

        return Flow.Normal;
    }

    private static Dictionary<string, object?> Bind(List<string> targets, object? value)
    {
        var frame = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (targets.Count == 1)
        {
            frame[targets[0]] = value;
            return frame;
        }

        var parts = Py.Sequence(value);
        if (parts is null || parts.Count != targets.Count)
        {
            throw new ChatTemplateException($"cannot unpack {Py.TypeName(value)} into {targets.Count} names");
        }

        for (var i = 0; i < targets.Count; i++)
        {
            frame[targets[i]] = parts[i];
        }

        return frame;
    }

    private void Set(SetNode s)
    {
        var value = Eval(s.Value);
        if (s.Attribute is { } attribute)
        {
            if (Lookup(s.Targets[0]) is not Namespace ns)
            {
                throw new ChatTemplateException($"cannot assign attribute on non-namespace object '{s.Targets[0]}'");
            }

            ns.Fields[attribute] = value;
            return;
        }

        foreach (var (name, v) in Bind(s.Targets, value))
        {
            _scopes[^1][name] = v;
        }
    }

    private JinjaFunction Macro(MacroNode m) => (args, kwargs) =>
    {
        if (args.Count > m.Parameters.Count)
        {
            throw new ChatTemplateException($"macro '{m.Name}' takes {m.Parameters.Count} arguments ({args.Count} given)");
        }

        var frame = new Dictionary<string, object?>(StringComparer.Ordinal);
        var scopes = new List<Dictionary<string, object?>> { _scopes[0], frame };
        var inner = new JinjaRenderer(scopes, _globals);
        for (var i = 0; i < m.Parameters.Count; i++)
        {
            var name = m.Parameters[i];
            frame[name] = i < args.Count ? args[i]
                : kwargs.TryGetValue(name, out var v) ? v
                : m.Defaults[i] is { } d ? inner.Eval(d)
                : new Undefined($"'{name}'");
        }

        var output = new StringBuilder();
        inner.Run(m.Body, output);
        return output.ToString();
    };

    private object? Lookup(string name)
    {
        for (var i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out var v))
            {
                return v;
            }
        }

        return _globals.TryGetValue(name, out var g) ? g : new Undefined($"'{name}'");
    }

    private object? Eval(Expr e)
    {
        switch (e)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                return Lookup(n.Name);
            case AttrExpr a:
                return JinjaOperators.GetAttr(Eval(a.Target), a.Name);
            case ItemExpr i:
                return JinjaOperators.GetItem(Eval(i.Target), Eval(i.Index));
            case SliceExpr s:
                return JinjaOperators.Slice(Eval(s.Target), s.Start is null ? null : Eval(s.Start), s.Stop is null ? null : Eval(s.Stop), s.Step is null ? null : Eval(s.Step));
            case CallExpr call:
                return Call(Eval(call.Callee), [.. call.Args.Select(Eval)], call.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value)));
            case FilterExpr f:
                return JinjaBuiltins.ApplyFilter(f.Name, Eval(f.Value), [.. f.Args.Select(Eval)], f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value)));
            case TestExpr t:
                return JinjaBuiltins.ApplyTest(t.Name, Eval(t.Value), [.. t.Args.Select(Eval)]) != t.Negated;
            case UnaryExpr u:
                var operand = Eval(u.Operand);
                return u.Op switch
                {
                    "not" => !Py.Truthy(operand),
                    "-" => operand is long l ? (object)(-l) : operand is Undefined ud ? throw ud.Error() : -Py.Number(operand),
                    _ => operand is long or double ? operand : Py.Number(operand),
                };
            case BinaryExpr { Op: "and" } b:
                var left = Eval(b.Left);
                return Py.Truthy(left) ? Eval(b.Right) : left;
            case BinaryExpr { Op: "or" } b:
                var first = Eval(b.Left);
                return Py.Truthy(first) ? first : Eval(b.Right);
            case BinaryExpr b:
                return JinjaOperators.Arithmetic(b.Op, Eval(b.Left), Eval(b.Right));
            case CompareExpr c:
                var current = Eval(c.First);
                foreach (var (op, right) in c.Rest)
                {
                    var next = Eval(right);
                    if (!Compare(op, current, next))
                    {
                        return false;
                    }

                    current = next;
                }

                return true;
            case CondExpr c:
                return Py.Truthy(Eval(c.Test)) ? Eval(c.Then) : c.Else is null ? new Undefined("the else branch") : Eval(c.Else);
            case ListExpr l:
                var items = l.Items.Select(Eval).ToList();
                return l.Tuple ? items.ToArray() : items;
            case DictExpr d:
                return Py.ToDict(d.Items.Select(p => new KeyValuePair<string, object?>(Eval(p.Key) as string ?? throw new ChatTemplateException("dict keys must be strings in a template"), Eval(p.Value))));
            default:
                throw new ChatTemplateException($"unknown expression {e.GetType().Name}");
        }
    }

    private static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => Py.Equals(a, b),
        "!=" => !Py.Equals(a, b),
        "<" => Py.Compare(a, b) < 0,
        "<=" => Py.Compare(a, b) <= 0,
        ">" => Py.Compare(a, b) > 0,
        ">=" => Py.Compare(a, b) >= 0,
        "in" => JinjaOperators.Contains(b, a),
        _ => !JinjaOperators.Contains(b, a),
    };

    private static object? Call(object? callee, List<object?> args, Dictionary<string, object?> kwargs) => callee switch
    {
        JinjaFunction f => f(args, kwargs),
        BoundMethod m => m.Call(args, kwargs),
        Undefined u => throw u.Error(),
        _ => throw new ChatTemplateException($"'{Py.TypeName(callee)}' object is not callable"),
    };
}
