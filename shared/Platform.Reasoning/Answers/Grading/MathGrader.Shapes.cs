using System.Numerics;
using System.Text;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>
/// Answer shapes: what a parsed answer is (a value with its unit, an equation, a tuple or set, an
/// interval or union, a matrix, text), and how a tree becomes one (± expanded, units and degree marks
/// taken out, relations read as intervals, approximations and computations read as their value).
/// </summary>
public static partial class MathGrader
{
    private abstract record Answer;

    private sealed record ScalarAnswer(MathNode Value, string? Unit, bool Percent) : Answer
    {
        public override string ToString() => Value + (Percent ? "%" : "") + (Unit is null ? "" : $" [{Unit}]");
    }

    private sealed record EquationAnswer(MathNode Left, MathNode Right) : Answer
    {
        public override string ToString() => $"{Left} = {Right}";
    }

    /// <summary>Ordered (tuples, points) or unordered (sets, lists of answers, ± pairs).</summary>
    /// <summary><see cref="Bare"/>: written without brackets (1, 2), the only unordered form that may stand for a point.</summary>
    private sealed record ManyAnswer(IReadOnlyList<Answer> Items, bool Ordered, char Open, char Close, bool Bare = false) : Answer
    {
        public override string ToString() => Ordered ? $"{Open}{string.Join(", ", Items)}{Close}" : $"{{{string.Join(", ", Items)}}}";
    }

    private sealed record IntervalAnswer(MathNode Low, MathNode High, bool LowClosed, bool HighClosed) : Answer
    {
        public override string ToString() => $"{(LowClosed ? '[' : '(')}{Low}, {High}{(HighClosed ? ']' : ')')}";
    }

    private sealed record UnionAnswer(IReadOnlyList<IntervalAnswer> Parts) : Answer
    {
        public override string ToString() => string.Join(" ∪ ", Parts);
    }

    private sealed record MatrixAnswer(IReadOnlyList<IReadOnlyList<Answer>> Rows) : Answer
    {
        public override string ToString() => "[" + string.Join("; ", Rows.Select(r => string.Join(", ", r))) + "]";
    }

    private sealed record TextAnswer(string Text) : Answer
    {
        public override string ToString() => $"text \"{Text}\"";
    }

    private static Answer Shape(MathNode node)
    {
        switch (node)
        {
            case ListNode list when list.Items.Count > 0:
                if (list.Items.All(IsInequality))
                {
                    var parts = list.Items.Select(i => Shape(i)).ToList();
                    if (parts.All(p => p is IntervalAnswer or UnionAnswer))
                    {
                        return new UnionAnswer(parts.SelectMany(p => p is UnionAnswer u ? u.Parts : [(IntervalAnswer)p]).ToList());
                    }
                }

                return new ManyAnswer(list.Items.SelectMany(Expand).Select(Shape).ToList(), false, '{', '}', Bare: true);
            case SetNode set:
                return new ManyAnswer(set.Items.SelectMany(Expand).Select(Shape).ToList(), false, '{', '}');
            case BracketNode b when b.Items.Count == 2 && (b.Open != '(' || b.Close != ')' || b.Items.Any(IsInfinite)):
                return new IntervalAnswer(b.Items[0], b.Items[1], b.Open == '[', b.Close == ']');
            case BracketNode b:
                return new ManyAnswer(b.Items.Select(Shape).ToList(), true, b.Open, b.Close);
            case UnionNode u:
            {
                var parts = u.Parts.Select(Shape).ToList();
                var intervals = new List<IntervalAnswer>();
                foreach (var part in parts)
                {
                    switch (part)
                    {
                        case IntervalAnswer i:
                            intervals.Add(i);
                            break;
                        case ManyAnswer { Ordered: true, Items.Count: 2, Open: '(', Close: ')' } m when m.Items.All(x => x is ScalarAnswer):
                            intervals.Add(new IntervalAnswer(((ScalarAnswer)m.Items[0]).Value, ((ScalarAnswer)m.Items[1]).Value, false, false));
                            break;
                        case UnionAnswer inner:
                            intervals.AddRange(inner.Parts);
                            break;
                        default:
                            return new TextAnswer(u.ToString());
                    }
                }

                return new UnionAnswer(intervals);
            }

            case RelationNode r:
                return Relation(r);
            case MatrixNode m:
                return new MatrixAnswer(m.Rows.Select(row => (IReadOnlyList<Answer>)row.Select(Shape).ToList()).ToList());
            case TextNode t:
                return new TextAnswer(t.Text);
            case PercentNode p:
                return Scalar(p.Operand) is ScalarAnswer s ? s with { Percent = true } : new TextAnswer(p.ToString());
            default:
                var expansions = Expand(node).ToList();
                if (expansions.Count > 1)
                {
                    return new ManyAnswer(expansions.Select(Scalar).ToList(), false, '{', '}');
                }

                return node.Contains(n => n is PlusMinusNode) ? new TextAnswer(node.ToString()) : Scalar(node);
        }
    }

    /// <summary>A value with its units (words multiplied into it) taken out; a degree mark is dropped.</summary>
    private static Answer Scalar(MathNode node)
    {
        var units = new List<string>();
        var value = StripUnits(node, units);
        if (value is null)
        {
            return new TextAnswer(node.ToString());
        }

        while (value is DegreeNode d)
        {
            value = d.Operand;
        }

        var percent = false;
        if (value is PercentNode p)
        {
            value = p.Operand;
            percent = true;
        }

        if (units.Any(MathLexer.IsPercentWord))
        {
            percent = true;
            units.RemoveAll(MathLexer.IsPercentWord);
        }

        if (value.Contains(n => n is TextNode))
        {
            return new TextAnswer(node.ToString());
        }

        units.RemoveAll(u => u is "degree" or "degrees" or "deg" || MathLexer.IsCurrencyWord(u));
        return new ScalarAnswer(value, units.Count == 0 ? null : string.Join(" ", units.Select(Singular)), percent);
    }

    private static string Singular(string unit) => unit switch
    {
        "inches" => "inch",
        "feet" => "foot",
        _ when unit.Length > 3 && unit.EndsWith('s') => unit[..^1],
        _ => unit,
    };

    /// <summary>Removes word factors (units) from a product; null when the node is only words.</summary>
    private static MathNode? StripUnits(MathNode node, List<string> units)
    {
        switch (node)
        {
            case TextNode t:
                units.Add(t.Text);
                return null;
            case PowerNode { Base: TextNode t, Exponent: NumberNode e }:
                units.Add($"{t.Text}^{e}");
                return null;
            case ProductNode { Divide: false } product:
            {
                var left = StripUnits(product.Left, units);
                var right = StripUnits(product.Right, units);
                return left is null ? right : right is null ? left : product with { Left = left, Right = right };
            }

            case DegreeNode d:
                return StripUnits(d.Operand, units) is { } inner ? new DegreeNode(inner) : null;
            default:
                return node;
        }
    }

    private static bool IsInfinite(MathNode n) => n is ConstantNode { Name: "inf" } || n is NegateNode { Operand: ConstantNode { Name: "inf" } };

    private static bool IsInequality(MathNode n) => n is RelationNode r && r.Operators.All(o => o is "<" or ">" or "<=" or ">=" or "!=");

    /// <summary>Every choice of + and - for the ± signs in a tree (at most four of them).</summary>
    private static IEnumerable<MathNode> Expand(MathNode node)
    {
        var count = 0;
        Count(node, ref count);
        if (count == 0 || count > 4)
        {
            yield return node;
            yield break;
        }

        var expanded = new List<MathNode>();
        for (var mask = 0; mask < 1 << count; mask++)
        {
            var index = 0;
            var choice = Replace(node, mask, ref index);
            if (choice.Contains(n => n is PlusMinusNode))
            {
                // A ± where no choice can be made (inside a mixed number, a subscript ...): kept whole.
                expanded = [node];
                break;
            }

            expanded.Add(choice);
        }

        foreach (var e in expanded)
        {
            yield return e;
        }

        static void Count(MathNode n, ref int count)
        {
            if (n is PlusMinusNode)
            {
                count++;
            }

            foreach (var c in n.Children)
            {
                Count(c, ref count);
            }
        }
    }

    private static MathNode Replace(MathNode n, int mask, ref int index)
    {
        switch (n)
        {
            case PlusMinusNode pm:
            {
                var minus = (mask >> index++ & 1) == 1;
                var right = Replace(pm.Right, mask, ref index);
                if (pm.Left is null)
                {
                    return minus ? new NegateNode(right) : right;
                }

                var left = Replace(pm.Left, mask, ref index);
                return new SumNode(left, right, minus);
            }

            case SumNode s:
                return s with { Left = Replace(s.Left, mask, ref index), Right = Replace(s.Right, mask, ref index) };
            case ProductNode p:
                return p with { Left = Replace(p.Left, mask, ref index), Right = Replace(p.Right, mask, ref index) };
            case FractionNode f:
                return f with { Numerator = Replace(f.Numerator, mask, ref index), Denominator = Replace(f.Denominator, mask, ref index) };
            case NegateNode neg:
                return neg with { Operand = Replace(neg.Operand, mask, ref index) };
            case PowerNode pw:
                return pw with { Base = Replace(pw.Base, mask, ref index), Exponent = Replace(pw.Exponent, mask, ref index) };
            case FunctionNode fn:
                return fn with { Argument = Replace(fn.Argument, mask, ref index) };
            default:
                return n;
        }
    }

    private static Answer Relation(RelationNode r)
    {
        var ops = r.Operators;
        var approx = IndexOf(ops, MathLexer.Approximately);
        if (approx >= 0)
        {
            return Approximation(r, approx);
        }

        if (ops.Count == 1 && ops[0] == "in")
        {
            return Shape(r.Operands[1]);
        }

        if (ops.Count == 1 && ops[0] == "=")
        {
            var (left, right) = (r.Operands[0], r.Operands[1]);
            if (Vars(left).Count == 0 && Vars(right).Count == 0)
            {
                // 5 + 5 + 1 = 11, 3^2 = 9: a computation; its result is the value.
                return Shape(right);
            }

            if (left is VariableNode or SubscriptNode && Shape(right) is var named and (MatrixAnswer or ManyAnswer or IntervalAnswer or UnionAnswer))
            {
                // A = (matrix), v = (1, 2): a name given to a matrix, tuple, set or interval.
                return named;
            }

            return new EquationAnswer(left, right);
        }

        if (ops.All(o => o == "="))
        {
            // a = b = c: the last side is the value.
            return Shape(r.Operands[^1]);
        }

        if (!IsInequality(r))
        {
            return new TextAnswer(r.ToString());
        }

        var variables = r.Operands.Select((o, i) => (o, i)).Where(x => Vars(x.o).Count > 0).ToList();
        if (variables.Count != 1 || variables[0].o is not (VariableNode or SubscriptNode))
        {
            return new TextAnswer(r.ToString());
        }

        var at = variables[0].i;
        var inf = new ConstantNode("inf");
        var negInf = new NegateNode(inf);
        if (r.Operands.Count == 2)
        {
            var op = ops[0];
            var c = r.Operands[1 - at];

            // Normalise to "x op c".
            if (at == 1)
            {
                op = op switch { "<" => ">", ">" => "<", "<=" => ">=", ">=" => "<=", _ => op };
            }

            return op switch
            {
                "<" => new IntervalAnswer(negInf, c, false, false),
                "<=" => new IntervalAnswer(negInf, c, false, true),
                ">" => new IntervalAnswer(c, inf, false, false),
                ">=" => new IntervalAnswer(c, inf, true, false),
                _ => new UnionAnswer([new IntervalAnswer(negInf, c, false, false), new IntervalAnswer(c, inf, false, false)]),
            };
        }

        if (r.Operands.Count == 3 && at == 1 && ops.All(o => o is "<" or "<=") )
        {
            return new IntervalAnswer(r.Operands[0], r.Operands[2], ops[0] == "<=", ops[1] == "<=");
        }

        if (r.Operands.Count == 3 && at == 1 && ops.All(o => o is ">" or ">="))
        {
            return new IntervalAnswer(r.Operands[2], r.Operands[0], ops[1] == ">=", ops[0] == ">=");
        }

        return new TextAnswer(r.ToString());
    }

    private static int IndexOf(IReadOnlyList<string> ops, string op)
    {
        for (var i = 0; i < ops.Count; i++)
        {
            if (ops[i] == op)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// A chain with <c>\approx</c>: the exact value before the first approximation wins
    /// (<c>x = 5+5+1 = 1/3 \approx 11</c> is 1/3, <c>\pi \approx 3.14</c> is π); with only a name
    /// before it (<c>x \approx 11</c>), the approximation is the value.
    /// </summary>
    private static Answer Approximation(RelationNode r, int first)
    {
        if (first == 0)
        {
            var exact = r.Operands[0];
            return exact is VariableNode or SubscriptNode ? Shape(r.Operands[1]) : Shape(exact);
        }

        var before = new RelationNode(r.Operands.Take(first + 1).ToList(), r.Operators.Take(first).ToList());
        return Shape(before);
    }

    private static HashSet<string> Vars(MathNode n)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        n.Variables(set);
        return set;
    }
}
