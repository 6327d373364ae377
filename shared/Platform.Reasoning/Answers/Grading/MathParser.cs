using Pidgin;
using Pidgin.Expression;
using static Pidgin.Parser;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>
/// The grammar of math answers, over <see cref="MathLexer"/> tokens, with Pidgin's combinators:
/// <code>
/// answers  := item ((',' | ';' | or | and) item)*
/// item     := union (relation union)*                 x = 3, -1 &lt; x &lt;= 3, x \in [a, b]
/// union    := expr (\cup expr)*
/// expr     := sums of products of signed terms; adjacent terms multiply (2\pi r), and an integer
///             followed by \frac of integers is a mixed number (137\frac{1}{2})
/// term     := atom (^ arg | _ arg | ! | % | °)*
/// atom     := number | variable | constant | words | \frac arg arg | \sqrt[n] arg | \binom arg arg
///           | function [^ arg] [_ arg] operand | ( items ) | [ items ] (mixed brackets: intervals)
///           | { answers } | \{ items \} | |expr| | \begin{pmatrix} rows \end{pmatrix}
/// </code>
/// Input is bounded before it gets here (length, tokens, nesting), so recursion stays shallow.
/// </summary>
public static class MathParser
{
    /// <summary>The tree of a token list, or null when the tokens do not form an answer.</summary>
    public static MathNode? Parse(IReadOnlyList<MathToken> tokens)
    {
        var result = Answers.Parse(tokens);
        return result.Success ? result.Value : null;
    }

    private static Parser<MathToken, MathToken> Tok(TokenKind kind) => Parser<MathToken>.Token(t => t.Kind == kind);

    private static bool IsConnective(MathToken t) => t.Kind == TokenKind.Word && t.Text is "or" or "and";

    private static readonly HashSet<TokenKind> AtomStart =
    [
        TokenKind.Number, TokenKind.Variable, TokenKind.Constant, TokenKind.Function, TokenKind.Frac, TokenKind.Sqrt, TokenKind.Binom,
        TokenKind.LParen, TokenKind.LBrace, TokenKind.LSet, TokenKind.MatrixBegin, TokenKind.Word,
    ];

    private static Parser<MathToken, MathNode> Build()
    {
        Parser<MathToken, MathNode>? answers = null;
        Parser<MathToken, MathNode>? item = null;
        Parser<MathToken, MathNode>? expr = null;
        var answersRef = Rec(() => answers!);
        var itemRef = Rec(() => item!);
        var exprRef = Rec(() => expr!);

        var number = Tok(TokenKind.Number).Select<MathNode>(t => new NumberNode(t.Value, t.Text.Contains('.') || t.Text.Contains('e') || t.Text.Contains('E')));
        var variable = Tok(TokenKind.Variable).Select<MathNode>(t => new VariableNode(t.Text));
        var constant = Tok(TokenKind.Constant).Select<MathNode>(t => new ConstantNode(t.Text));
        var words = Parser<MathToken>.Token(t => t.Kind == TokenKind.Word && !IsConnective(t)).AtLeastOnce()
            .Select<MathNode>(ws => new TextNode(string.Join(" ", ws.Select(w => w.Text))));

        // A braced group holds a whole answer; a short argument is one token (\frac12).
        var braced = answersRef.Between(Tok(TokenKind.LBrace), Tok(TokenKind.RBrace));
        var arg = OneOf(braced, number, variable, constant);

        var fraction = Map((_, n, d) => (MathNode)new FractionNode(n, d), Tok(TokenKind.Frac), arg, arg);
        var binomial = Map((_, n, k) => (MathNode)new BinomialNode(n, k), Tok(TokenKind.Binom), arg, arg);
        var index = exprRef.Between(Tok(TokenKind.LBracket), Tok(TokenKind.RBracket));
        var root = Map((_, n, x) => (MathNode)new FunctionNode("sqrt", x, n.HasValue ? n.Value : null), Tok(TokenKind.Sqrt), index.Optional(), OneOf(braced, Try(Rec(() => termNoSuffix!))));

        var items = itemRef.Separated(Tok(TokenKind.Comma));
        var opening = OneOf(Tok(TokenKind.LParen), Tok(TokenKind.LBracket));
        var closing = OneOf(Tok(TokenKind.RParen), Tok(TokenKind.RBracket));
        var bracket = Map((o, xs, c) =>
        {
            var list = xs.ToList();
            return list.Count == 1 && (o.Kind, c.Kind) is (TokenKind.LParen, TokenKind.RParen) or (TokenKind.LBracket, TokenKind.RBracket)
                ? list[0]
                : new BracketNode(o.Text[0], list, c.Text[0]);
        }, opening, items, closing);

        var set = items.Between(Tok(TokenKind.LSet), Tok(TokenKind.RSet)).Select<MathNode>(xs => new SetNode(xs.ToList()));
        var absolute = exprRef.Between(Tok(TokenKind.Bar), Tok(TokenKind.Bar)).Select<MathNode>(x => new FunctionNode("abs", x));
        var row = exprRef.Separated(Tok(TokenKind.Ampersand)).Select(r => (IReadOnlyList<MathNode>)r.ToList());
        var matrix = row.SeparatedAndOptionallyTerminated(Tok(TokenKind.RowBreak))
            .Between(Tok(TokenKind.MatrixBegin), Tok(TokenKind.MatrixEnd))
            .Select<MathNode>(rows => new MatrixNode(rows.Where(r => r.Count > 0).ToList()));

        // \sin x, \sin(2x), \sin^2 x, \log_2 8: the operand is a parenthesised group or one term.
        var functionPower = Tok(TokenKind.Caret).Then(arg).Optional();
        var functionBase = Tok(TokenKind.Underscore).Then(arg).Optional();
        var function = Map((f, power, b, x) =>
        {
            MathNode node = new FunctionNode(f.Text, x, b.HasValue ? b.Value : null);
            return power.HasValue ? new PowerNode(node, power.Value) : node;
        }, Tok(TokenKind.Function), functionPower, functionBase, Rec(() => termNoSuffix!));

        var atom = OneOf(number, variable, constant, words, fraction, binomial, root, function, bracket, braced, set, absolute, matrix);

        // Suffixes: powers (the exponent may carry a sign: 2^-1), subscripts, factorial, percent, degrees.
        var signedArg = OneOf(arg, Tok(TokenKind.Minus).Then(arg).Select<MathNode>(x => new NegateNode(x)));
        var suffix = OneOf(
            Tok(TokenKind.Caret).Then(signedArg).Select<Func<MathNode, MathNode>>(e => b => new PowerNode(b, e)),
            Tok(TokenKind.Underscore).Then(arg).Select<Func<MathNode, MathNode>>(i => b => new SubscriptNode(b, i)),
            Tok(TokenKind.Bang).ThenReturn<Func<MathNode, MathNode>>(b => new FunctionNode("fact", b)),
            Tok(TokenKind.Percent).ThenReturn<Func<MathNode, MathNode>>(b => new PercentNode(b)),
            Tok(TokenKind.Degree).ThenReturn<Func<MathNode, MathNode>>(b => new DegreeNode(b)));
        var term = Map((a, fs) => fs.Aggregate(a, (x, f) => f(x)), atom, suffix.Many());
        termNoSuffix = Map((a, fs) => fs.Aggregate(a, (x, f) => f(x)), OneOf(number, variable, constant, fraction, root, bracket, braced, absolute),
            OneOf(
                Tok(TokenKind.Caret).Then(signedArg).Select<Func<MathNode, MathNode>>(e => b => new PowerNode(b, e)),
                Tok(TokenKind.Bang).ThenReturn<Func<MathNode, MathNode>>(b => new FunctionNode("fact", b))).Many());

        var implicitProduct = Lookahead(Parser<MathToken>.Token(t => AtomStart.Contains(t.Kind) && !IsConnective(t)))
            .ThenReturn<Func<MathNode, MathNode, MathNode>>(Juxtapose);
        expr = ExpressionParser.Build(term,
        [
            Operator.PrefixChainable(
                Tok(TokenKind.Minus).ThenReturn<Func<MathNode, MathNode>>(x => new NegateNode(x)),
                Tok(TokenKind.Plus).ThenReturn<Func<MathNode, MathNode>>(x => x),
                Tok(TokenKind.PlusMinus).ThenReturn<Func<MathNode, MathNode>>(x => new PlusMinusNode(null, x))),
            Operator.InfixL(Tok(TokenKind.Times).ThenReturn<Func<MathNode, MathNode, MathNode>>((l, r) => new ProductNode(l, r, false)))
                .And(Operator.InfixL(Tok(TokenKind.Divide).ThenReturn<Func<MathNode, MathNode, MathNode>>((l, r) => new ProductNode(l, r, true))))
                .And(Operator.InfixL(implicitProduct)),
            Operator.InfixL(Tok(TokenKind.Plus).ThenReturn<Func<MathNode, MathNode, MathNode>>((l, r) => new SumNode(l, r, false)))
                .And(Operator.InfixL(Tok(TokenKind.Minus).ThenReturn<Func<MathNode, MathNode, MathNode>>((l, r) => new SumNode(l, r, true))))
                .And(Operator.InfixL(Tok(TokenKind.PlusMinus).ThenReturn<Func<MathNode, MathNode, MathNode>>((l, r) => new PlusMinusNode(l, r)))),
        ]);

        var union = exprRef.SeparatedAtLeastOnce(Tok(TokenKind.Union)).Select(parts =>
        {
            var list = parts.ToList();
            return list.Count == 1 ? list[0] : new UnionNode(list);
        });
        var relationOperator = OneOf(Tok(TokenKind.Relation), Tok(TokenKind.In)).Select(t => t.Kind == TokenKind.In ? "in" : t.Text);
        item = Map((first, rest) =>
        {
            var tail = rest.ToList();
            return tail.Count == 0 ? first : new RelationNode([first, .. tail.Select(x => x.Item2)], tail.Select(x => x.Item1).ToList());
        }, union, Map((op, x) => (op, x), relationOperator, union).Many());

        var connective = Parser<MathToken>.Token(IsConnective);
        var separator = OneOf(Tok(TokenKind.Comma).Then(connective.Optional()).ThenReturn(default(MathToken)), Tok(TokenKind.Semicolon), connective);
        answers = item.SeparatedAtLeastOnce(separator).Select(xs =>
        {
            var list = xs.ToList();
            return list.Count == 1 ? list[0] : new ListNode(list);
        });
        return answers.Before(Parser<MathToken>.End);
    }

    private static Parser<MathToken, MathNode>? termNoSuffix;

    // Built last: the grammar refers to the fields above.
    private static readonly Parser<MathToken, MathNode> Answers = Build();

    /// <summary>Adjacent terms multiply, except an integer followed by a fraction of integers: a mixed number.</summary>
    private static MathNode Juxtapose(MathNode left, MathNode right)
    {
        if (right is FractionNode { Numerator: NumberNode { Value.IsInteger: true }, Denominator: NumberNode { Value.IsInteger: true } })
        {
            switch (left)
            {
                case NumberNode { Decimal: false, Value.IsInteger: true } whole:
                    return new MixedNode(whole, right);
                case NegateNode { Operand: NumberNode { Decimal: false, Value.IsInteger: true } negative }:
                    return new NegateNode(new MixedNode(negative, right)); // -1\frac{1}{2} is -1.5
            }
        }

        return new ProductNode(left, right, false);
    }
}
