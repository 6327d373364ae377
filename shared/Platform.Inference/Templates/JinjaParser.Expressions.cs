using System.Globalization;

namespace Platform.Inference.Templates;

/// <summary>Jinja's expressions, lowest precedence first: conditional, or, and, not, comparisons and membership, + and -, ~, * / // %, **, unary signs, then primaries with their attributes, subscripts, calls, filters and tests.</summary>
internal sealed partial class JinjaParser
{
    /// <summary>An expression, or several separated by commas (a tuple), as a tag's value.</summary>
    private Expr Tuple(bool withCondition = true)
    {
        var line = Current.Line;
        var first = Expression(withCondition);
        if (!Current.IsOperator(","))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (SkipOp(","))
        {
            if (Current.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd || Current.IsOperator(")") || Current.IsName("if"))
            {
                break;
            }

            items.Add(Expression(withCondition));
        }

        return new ListExpr(line, items, Tuple: true);
    }

    private Expr Expression(bool withCondition = true)
    {
        var value = Or();
        if (!withCondition)
        {
            return value;
        }

        while (Current.IsName("if"))
        {
            var line = Next().Line;
            var test = Or();
            var otherwise = SkipName("else") ? Expression() : null;
            value = new CondExpr(line, test, value, otherwise);
        }

        return value;
    }

    private Expr Or()
    {
        var left = And();
        while (Current.IsName("or"))
        {
            left = new BinaryExpr(Next().Line, "or", left, And());
        }

        return left;
    }

    private Expr And()
    {
        var left = Not();
        while (Current.IsName("and"))
        {
            left = new BinaryExpr(Next().Line, "and", left, Not());
        }

        return left;
    }

    private Expr Not() => Current.IsName("not") ? new UnaryExpr(Next().Line, "not", Not()) : Compare();

    private Expr Compare()
    {
        var line = Current.Line;
        var first = Math1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && Current.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                rest.Add((Next().Value, Math1()));
            }
            else if (SkipName("in"))
            {
                rest.Add(("in", Math1()));
            }
            else if (Current.IsName("not") && tokens[_at + 1].IsName("in"))
            {
                _at += 2;
                rest.Add(("not in", Math1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(line, first, rest);
    }

    private Expr Math1() => Binary(Concat, "+", "-");

    private Expr Concat() => Binary(Math2, "~");

    private Expr Math2() => Binary(Pow, "*", "/", "//", "%");

    private Expr Pow() => Binary(() => Unary(), "**");

    private Expr Binary(Func<Expr> operand, params string[] ops)
    {
        var left = operand();
        while (Current.Kind == TokenKind.Operator && ops.Contains(Current.Value))
        {
            var op = Next();
            left = new BinaryExpr(op.Line, op.Value, left, operand());
        }

        return left;
    }

    private Expr Unary(bool withFilter = true)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var op = Next();
            node = new UnaryExpr(op.Line, op.Value, Unary(false));
        }
        else
        {
            node = Primary();
        }

        node = Postfix(node);
        return withFilter ? FiltersAndTests(node) : node;
    }

    private Expr Primary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new ConstExpr(t.Line, true),
                    "false" or "False" => new ConstExpr(t.Line, false),
                    "none" or "None" => new ConstExpr(t.Line, null),
                    _ => new NameExpr(t.Line, t.Value),
                };
            case TokenKind.String:
                var text = t.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Next().Value; // adjacent literals are one string
                }

                return new ConstExpr(t.Line, text);
            case TokenKind.Integer:
                return new ConstExpr(t.Line, long.Parse(t.Value, CultureInfo.InvariantCulture));
            case TokenKind.Float:
                return new ConstExpr(t.Line, double.Parse(t.Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when t.Value == "(":
                if (SkipOp(")"))
                {
                    return new ListExpr(t.Line, [], Tuple: true);
                }

                var inner = Tuple();
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when t.Value == "[":
                var items = new List<Expr>();
                while (NextItem("]", items.Count))
                {
                    items.Add(Expression());
                }

                return new ListExpr(t.Line, items, Tuple: false);
            case TokenKind.Operator when t.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (NextItem("}", pairs.Count))
                {
                    var key = Expression();
                    Expect(TokenKind.Operator, ":");
                    pairs.Add((key, Expression()));
                }

                return new DictExpr(t.Line, pairs);
            default:
                throw Error(t, $"unexpected {t}");
        }
    }

    private Expr Postfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("."))
            {
                var dot = Next();
                var name = Next();
                node = name.Kind switch
                {
                    TokenKind.Name => new AttrExpr(dot.Line, node, name.Value),
                    TokenKind.Integer => new ItemExpr(dot.Line, node, new ConstExpr(dot.Line, long.Parse(name.Value, CultureInfo.InvariantCulture))),
                    _ => throw Error(name, $"expected an attribute name after '.', found {name}"),
                };
            }
            else if (Current.IsOperator("["))
            {
                node = Subscript(node, Next());
            }
            else if (Current.IsOperator("("))
            {
                node = Call(node);
            }
            else
            {
                return node;
            }
        }
    }

    /// <summary>A call of <paramref name="callee"/>: its arguments from '(' to ')'.</summary>
    private CallExpr Call(Expr callee)
    {
        var line = Next().Line;
        var (args, kwargs) = Arguments();
        return new CallExpr(line, callee, args, kwargs);
    }

    private Expr Subscript(Expr target, Token open)
    {
        Expr? Part() => Current.IsOperator(":") || Current.IsOperator("]") ? null : Expression();
        var start = Part();
        if (!SkipOp(":"))
        {
            Expect(TokenKind.Operator, "]");
            return new ItemExpr(open.Line, target, start ?? throw Error(open, "empty subscript"));
        }

        var stop = Part();
        var step = SkipOp(":") ? Part() : null;
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(open.Line, target, start, stop, step);
    }

    /// <summary>Call arguments after '(' up to ')': positional, then name=value.</summary>
    private (List<Expr>, List<(string, Expr)>) Arguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (NextItem(")", args.Count + kwargs.Count))
        {
            if (Current.IsOperator("*") || Current.IsOperator("**"))
            {
                throw Error(Current, "*args and **kwargs in calls are not supported by this renderer");
            }

            if (Current.Kind == TokenKind.Name && tokens[_at + 1].IsOperator("="))
            {
                var name = Next().Value;
                _at++;
                kwargs.Add((name, Expression()));
            }
            else
            {
                args.Add(Expression());
            }
        }

        return (args, kwargs);
    }

    private Expr FiltersAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                var bar = Next();
                var name = Expect(TokenKind.Name).Value;
                if (!JinjaBuiltins.HasFilter(name))
                {
                    throw Error(bar, $"the filter '{name}' is not supported by this renderer");
                }

                var (args, kwargs) = SkipOp("(") ? Arguments() : ([], []);
                node = new FilterExpr(bar.Line, node, name, args, kwargs);
            }
            else if (Current.IsName("is"))
            {
                var line = Next().Line;
                var negated = SkipName("not");
                var name = Expect(TokenKind.Name).Value;
                if (!JinjaBuiltins.HasTest(name))
                {
                    throw Error(tokens[_at - 1], $"the test '{name}' is not supported by this renderer");
                }

                var args = new List<Expr>();
                if (SkipOp("("))
                {
                    var (a, kw) = Arguments();
                    args = a;
                    if (kw.Count > 0)
                    {
                        throw Error(tokens[_at - 1], $"the test '{name}' takes no keyword arguments");
                    }
                }
                else if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float || (Current.Kind == TokenKind.Name && Current.Value is not ("else" or "or" or "and" or "if" or "in" or "not" or "is")) || Current.IsOperator("[") || Current.IsOperator("{"))
                {
                    args.Add(Postfix(Primary()));
                }

                node = new TestExpr(line, node, name, args, negated);
            }
            else if (Current.IsOperator("("))
            {
                node = Call(node);
            }
            else
            {
                return node;
            }
        }
    }
}
