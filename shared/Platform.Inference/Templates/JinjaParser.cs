using System.Globalization;

namespace Platform.Inference.Templates;

/// <summary>
/// Jinja's grammar, the part chat templates use: if/elif/else, for (with a filter, an else, tuple
/// targets), set (names, namespace attributes, blocks), macros, break/continue, generation blocks,
/// and expressions with Jinja's precedence. Any other tag, filter or test is an error naming it.
/// </summary>
internal sealed class JinjaParser(List<Token> tokens)
{
    private int _at;

    private Token Current => tokens[_at];

    public static List<Node> Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source));
        var body = parser.Body(out var end);
        if (end is not null)
        {
            throw Error(end.Value, $"unexpected '{{% {end.Value.Value} %}}'");
        }

        return body;
    }

    private static ChatTemplateException Error(Token at, string message) => new($"line {at.Line}: {message}");

    private Token Next() => tokens[_at++];

    private bool Skip(TokenKind kind, string value)
    {
        if (Current.Is(kind, value))
        {
            _at++;
            return true;
        }

        return false;
    }

    private bool SkipName(string name) => Skip(TokenKind.Name, name);

    private bool SkipOp(string op) => Skip(TokenKind.Operator, op);

    private Token Expect(TokenKind kind, string? value = null)
    {
        var t = Current;
        if (t.Kind != kind || (value is not null && t.Value != value))
        {
            throw Error(t, $"expected {(value is null ? kind.ToString().ToLowerInvariant() : $"'{value}'")}, found {t}");
        }

        _at++;
        return t;
    }

    /// <summary>Statements up to a block tag this level does not own; that tag's name is returned (its block still open).</summary>
    private List<Node> Body(out Token? end, params string[] ends)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var t = Next();
            switch (t.Kind)
            {
                case TokenKind.End:
                    if (ends.Length > 0)
                    {
                        throw Error(t, $"the template ends inside a block ('{{% {ends[^1]} %}}' missing)");
                    }

                    end = null;
                    return nodes;
                case TokenKind.Text:
                    nodes.Add(new TextNode(t.Line, t.Value));
                    break;
                case TokenKind.VariableBegin:
                    nodes.Add(new PrintNode(t.Line, Tuple()));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var name = Current;
                    if (name.Kind == TokenKind.Name && ends.Contains(name.Value))
                    {
                        _at++;
                        end = name;
                        return nodes;
                    }

                    nodes.Add(Statement());
                    break;
                default:
                    throw Error(t, $"unexpected {t}");
            }
        }
    }

    private Node Statement()
    {
        var t = Expect(TokenKind.Name);
        switch (t.Value)
        {
            case "if":
                return If(t);
            case "for":
                return For(t);
            case "set":
                return Set(t);
            case "macro":
                return Macro(t);
            case "break" or "continue":
                Expect(TokenKind.BlockEnd);
                return new LoopControlNode(t.Line, t.Value == "break");
            case "generation":
                // transformers' AssistantTracker marks the assistant's tokens; the text is the block's own.
                Expect(TokenKind.BlockEnd);
                var body = Body(out _, "endgeneration");
                Expect(TokenKind.BlockEnd);
                return new IfNode(t.Line, [(new ConstExpr(t.Line, true), body)], null);
            default:
                throw Error(t, $"the tag '{{% {t.Value} %}}' is not supported by this renderer (if, for, set, macro, break, continue and generation are)");
        }
    }

    private IfNode If(Token start)
    {
        var branches = new List<(Expr, List<Node>)>();
        var test = Expression();
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = Body(out var end, "elif", "else", "endif");
            branches.Add((test, body));
            if (end!.Value.Value == "elif")
            {
                test = Expression();
                continue;
            }

            List<Node>? otherwise = null;
            if (end.Value.Value == "else")
            {
                Expect(TokenKind.BlockEnd);
                otherwise = Body(out _, "endif");
            }

            Expect(TokenKind.BlockEnd);
            return new IfNode(start.Line, branches, otherwise);
        }
    }

    private ForNode For(Token start)
    {
        var targets = Targets();
        Expect(TokenKind.Name, "in");
        var items = Tuple(withCondition: false);
        var filter = SkipName("if") ? Expression() : null;
        if (Current.IsName("recursive"))
        {
            throw Error(Current, "recursive for loops are not supported by this renderer");
        }

        Expect(TokenKind.BlockEnd);
        var body = Body(out var end, "else", "endfor");
        List<Node>? otherwise = null;
        if (end!.Value.Value == "else")
        {
            Expect(TokenKind.BlockEnd);
            otherwise = Body(out _, "endfor");
        }

        Expect(TokenKind.BlockEnd);
        return new ForNode(start.Line, targets, items, filter, body, otherwise);
    }

    private List<string> Targets()
    {
        var parenthesized = SkipOp("(");
        var targets = new List<string> { Expect(TokenKind.Name).Value };
        while (SkipOp(","))
        {
            targets.Add(Expect(TokenKind.Name).Value);
        }

        if (parenthesized)
        {
            Expect(TokenKind.Operator, ")");
        }

        return targets;
    }

    private Node Set(Token start)
    {
        var first = Expect(TokenKind.Name).Value;
        if (SkipOp("."))
        {
            var attribute = Expect(TokenKind.Name).Value;
            Expect(TokenKind.Operator, "=");
            var value = Tuple();
            Expect(TokenKind.BlockEnd);
            return new SetNode(start.Line, [first], attribute, value);
        }

        var targets = new List<string> { first };
        while (SkipOp(","))
        {
            targets.Add(Expect(TokenKind.Name).Value);
        }

        if (targets.Count == 1 && Current.Kind == TokenKind.BlockEnd)
        {
            _at++;
            var body = Body(out _, "endset");
            Expect(TokenKind.BlockEnd);
            return new SetBlockNode(start.Line, first, body);
        }

        Expect(TokenKind.Operator, "=");
        var v = Tuple();
        Expect(TokenKind.BlockEnd);
        return new SetNode(start.Line, targets, null, v);
    }

    private MacroNode Macro(Token start)
    {
        var name = Expect(TokenKind.Name).Value;
        var parameters = new List<string>();
        var defaults = new List<Expr?>();
        Expect(TokenKind.Operator, "(");
        while (!SkipOp(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (SkipOp(")"))
                {
                    break;
                }
            }

            parameters.Add(Expect(TokenKind.Name).Value);
            defaults.Add(SkipOp("=") ? Expression() : null);
        }

        Expect(TokenKind.BlockEnd);
        var body = Body(out _, "endmacro");
        Expect(TokenKind.BlockEnd);
        return new MacroNode(start.Line, name, parameters, defaults, body);
    }

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
                while (!SkipOp("]"))
                {
                    if (items.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (SkipOp("]"))
                        {
                            break;
                        }
                    }

                    items.Add(Expression());
                }

                return new ListExpr(t.Line, items, Tuple: false);
            case TokenKind.Operator when t.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!SkipOp("}"))
                {
                    if (pairs.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (SkipOp("}"))
                        {
                            break;
                        }
                    }

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
                var line = Next().Line;
                var (args, kwargs) = Arguments();
                node = new CallExpr(line, node, args, kwargs);
            }
            else
            {
                return node;
            }
        }
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
        while (!SkipOp(")"))
        {
            if (args.Count + kwargs.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (SkipOp(")"))
                {
                    break;
                }
            }

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
                var line = Next().Line;
                var (args, kwargs) = Arguments();
                node = new CallExpr(line, node, args, kwargs);
            }
            else
            {
                return node;
            }
        }
    }
}
