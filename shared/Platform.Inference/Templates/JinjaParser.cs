namespace Platform.Inference.Templates;

/// <summary>
/// Jinja's grammar, the part chat templates use: if/elif/else, for (with a filter, an else, tuple
/// targets), set (names, namespace attributes, blocks), macros, break/continue, generation blocks,
/// and expressions with Jinja's precedence. Any other tag, filter or test is an error naming it.
/// </summary>
internal sealed partial class JinjaParser(List<Token> tokens)
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

    /// <summary>In a comma-separated list closed by <paramref name="close"/> (a trailing comma allowed): true before the next item, false once past the close.</summary>
    private bool NextItem(string close, int seen)
    {
        if (SkipOp(close))
        {
            return false;
        }

        if (seen > 0)
        {
            Expect(TokenKind.Operator, ",");
            if (SkipOp(close))
            {
                return false;
            }
        }

        return true;
    }

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
        while (NextItem(")", parameters.Count))
        {
            parameters.Add(Expect(TokenKind.Name).Value);
            defaults.Add(SkipOp("=") ? Expression() : null);
        }

        Expect(TokenKind.BlockEnd);
        var body = Body(out _, "endmacro");
        Expect(TokenKind.BlockEnd);
        return new MacroNode(start.Line, name, parameters, defaults, body);
    }
}
