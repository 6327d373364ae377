using System.Numerics;
using System.Text;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>The grader's decision on one pair, with the normalised forms and the rule that decided.</summary>
public sealed record GradeVerdict(bool Equivalent, string Rule, string Gold, string Predicted);

/// <summary>
/// Decides whether two answers are the same mathematical object. Both are lexed and parsed to trees,
/// turned into answer shapes (a value, an equation, a tuple or point, an unordered set of answers, an
/// interval or union of intervals, a matrix, text) and compared by shape:
/// <list type="bullet">
/// <item>values: exact rational arithmetic where it suffices; otherwise complex doubles with a relative
/// tolerance of 1e-9 (no variables) or, with variables, agreement at six random points with tolerance
/// 1e-8 (Schwartz–Zippel: distinct polynomials and rational functions rarely agree there); units are
/// dropped when only one side has them or both agree, a percent sign on one side also matches the
/// value divided by 100, degree marks are dropped;</item>
/// <item>equations: <c>x = 3</c> matches <c>3</c>; two equations match when their sides agree or their
/// differences are proportional; inequalities are the intervals they describe;</item>
/// <item>tuples and points in order with the same brackets, sets and bare lists in any order, intervals
/// by endpoints and open or closed ends, matrices element by element;</item>
/// <item>text: letters and digits, case ignored.</item>
/// </list>
/// A wrong answer must not be accepted: when shapes differ or a side cannot be read as math, only the
/// normalised texts can match. Inputs are bounded (length, tokens, nesting) so any input gets a verdict
/// quickly; what exceeds the bounds is compared as text.
/// </summary>
public static class MathGrader
{
    public const int MaxLength = 2000;
    public const int MaxTokens = 400;
    public const int MaxDepth = 24;
    private const double Tolerance = 1e-9;
    private const double PointTolerance = 1e-8;
    private const int Points = 6;

    public static bool Equivalent(string? gold, string? predicted) => gold is not null && predicted is not null && Grade(gold, predicted).Equivalent;

    public static GradeVerdict Grade(string gold, string predicted)
    {
        var g = Read(gold, decimalComma: false);
        var p = Read(predicted, decimalComma: false);
        if (g.Answer is null || p.Answer is null)
        {
            var same = SimpleText(gold) == SimpleText(predicted) && SimpleText(gold).Length > 0;
            return new GradeVerdict(same, $"text ({g.Problem ?? p.Problem})", g.Form, p.Form);
        }

        var (equal, rule) = Compare(g.Answer, p.Answer, gold, predicted);
        if (!equal && HasDecimalComma(predicted) && g.Answer is ScalarAnswer && Read(predicted, decimalComma: true) is { Answer: ScalarAnswer } pc)
        {
            var (retry, why) = Compare(g.Answer, pc.Answer!, gold, predicted);
            if (retry)
            {
                return new GradeVerdict(true, why + " (decimal comma)", g.Form, pc.Form);
            }
        }

        if (!equal && HasDecimalComma(gold) && p.Answer is ScalarAnswer && Read(gold, decimalComma: true) is { Answer: ScalarAnswer } gc)
        {
            var (retry, why) = Compare(gc.Answer!, p.Answer, gold, predicted);
            if (retry)
            {
                return new GradeVerdict(true, why + " (decimal comma)", gc.Form, p.Form);
            }
        }

        return new GradeVerdict(equal, rule, g.Form, p.Form);
    }

    private sealed record Reading(Answer? Answer, string Form, string? Problem);

    private static Reading Read(string text, bool decimalComma)
    {
        if (text.Length > MaxLength)
        {
            return new Reading(null, Shorten(text), $"longer than {MaxLength} characters");
        }

        if (MaxNesting(text) > MaxDepth)
        {
            return new Reading(null, Shorten(text), $"nested deeper than {MaxDepth}");
        }

        var tokens = MathLexer.Tokenize(text, decimalComma);
        if (tokens is null)
        {
            return new Reading(null, Shorten(text), "unparseable");
        }

        if (tokens.Count > MaxTokens)
        {
            return new Reading(null, Shorten(text), $"more than {MaxTokens} tokens");
        }

        if (tokens.Count == 0)
        {
            return new Reading(null, "", "empty");
        }

        var node = MathParser.Parse(tokens);
        if (node is null)
        {
            return new Reading(null, Shorten(text), "unparseable");
        }

        var answer = Shape(node);
        return new Reading(answer, answer.ToString(), null);
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";

    private static int MaxNesting(string s)
    {
        int depth = 0, max = 0;
        foreach (var c in s)
        {
            if (c is '{' or '(' or '[')
            {
                max = Math.Max(max, ++depth);
            }
            else if (c is '}' or ')' or ']')
            {
                depth = Math.Max(0, depth - 1);
            }
        }

        return max;
    }

    /// <summary>
    /// A comma between digits that cannot be a thousands separator: not followed by exactly three digits
    /// (3,5 or 2,75), or after an integer part that starts with 0 (0,111).
    /// </summary>
    private static bool HasDecimalComma(string text)
    {
        var s = text.Length > MaxLength ? text : MathLexer.Prepare(text);
        for (var i = 1; i + 1 < s.Length; i++)
        {
            if (s[i] == ',' && char.IsAsciiDigit(s[i - 1]) && char.IsAsciiDigit(s[i + 1]))
            {
                var start = i - 1;
                while (start > 0 && char.IsAsciiDigit(s[start - 1]))
                {
                    start--;
                }

                if (s[start] == '0')
                {
                    return true;
                }

                var run = 0;
                while (i + 1 + run < s.Length && char.IsAsciiDigit(s[i + 1 + run]))
                {
                    run++;
                }

                if (run != 3)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Letters and digits only, lower case, \text and braces gone: what text answers compare by.</summary>
    public static string SimpleText(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, MaxLength));
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\')
            {
                // A command name (\text, \textbf, \mbox ...) is formatting, not content.
                while (i + 1 < s.Length && char.IsAsciiLetter(s[i + 1]))
                {
                    i++;
                }

                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.ToString();
    }

    // ---- shapes ---------------------------------------------------------------------------------

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

        if (units.Any(u => u is "percent" or "pct"))
        {
            percent = true;
            units.RemoveAll(u => u is "percent" or "pct");
        }

        if (value.Contains(n => n is TextNode))
        {
            return new TextAnswer(node.ToString());
        }

        units.RemoveAll(u => u is "degree" or "degrees" or "deg" or "dollar" or "dollars" or "usd" or "eur" or "gbp" or "euro" or "euros");
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

    // ---- comparison -----------------------------------------------------------------------------

    private static (bool, string) Compare(Answer a, Answer b, string rawA, string rawB)
    {
        switch (a, b)
        {
            case (TextAnswer, _) or (_, TextAnswer):
            {
                var x = SimpleText(rawA);
                return (x.Length > 0 && x == SimpleText(rawB), "text");
            }

            case (ScalarAnswer x, ScalarAnswer y):
                return Scalars(x, y);
            case (EquationAnswer e, ScalarAnswer s):
                return EquationAgainstValue(e, s);
            case (ScalarAnswer s, EquationAnswer e):
                return EquationAgainstValue(e, s);
            case (EquationAnswer x, EquationAnswer y):
                return Equations(x, y);
            case (ManyAnswer { Items.Count: 1 } one, _) when b is not ManyAnswer { Items.Count: 1 }:
                return Compare(one.Items[0], b, rawA, rawB);
            case (_, ManyAnswer { Items.Count: 1 } one) when a is not ManyAnswer { Items.Count: 1 }:
                return Compare(a, one.Items[0], rawA, rawB);
            case (ManyAnswer x, ManyAnswer y):
                return Many(x, y);
            case (IntervalAnswer x, IntervalAnswer y):
                return (Interval(x, y), "interval endpoints and ends");
            case (ManyAnswer m, IntervalAnswer or UnionAnswer) when AsOpenInterval(m) is { } i:
                return Compare(i, b, rawA, rawB);
            case (IntervalAnswer or UnionAnswer, ManyAnswer m) when AsOpenInterval(m) is { } i:
                return Compare(a, i, rawA, rawB);
            case (UnionAnswer { Parts.Count: 1 } u, IntervalAnswer i):
                return (Interval(u.Parts[0], i), "interval endpoints and ends");
            case (IntervalAnswer i, UnionAnswer { Parts.Count: 1 } u):
                return (Interval(i, u.Parts[0]), "interval endpoints and ends");
            case (UnionAnswer x, UnionAnswer y):
                return (x.Parts.Count == y.Parts.Count && Matching(x.Parts, y.Parts, Interval), "union of intervals, in any order");
            case (MatrixAnswer x, MatrixAnswer y):
                return (x.Rows.Count == y.Rows.Count && x.Rows.Zip(y.Rows).All(r => r.First.Count == r.Second.Count && r.First.Zip(r.Second).All(p => Same(p.First, p.Second))),
                    "matrix, element by element");
            case (MatrixAnswer m, ManyAnswer { Ordered: true } t):
                return (Vector(m) is { } v && v.Count == t.Items.Count && v.Zip(t.Items).All(p => Same(p.First, p.Second)), "vector against tuple, in order");
            case (ManyAnswer { Ordered: true } t2, MatrixAnswer m2):
                return (Vector(m2) is { } w && w.Count == t2.Items.Count && w.Zip(t2.Items).All(p => Same(p.First, p.Second)), "vector against tuple, in order");
            default:
                return (false, $"different shapes ({Kind(a)} against {Kind(b)})");
        }

        static bool Same(Answer x, Answer y) => Compare(x, y, x.ToString()!, y.ToString()!).Item1;
    }

    private static string Kind(Answer a) => a switch
    {
        ScalarAnswer => "value",
        EquationAnswer => "equation",
        ManyAnswer { Ordered: true } => "tuple",
        ManyAnswer => "set of answers",
        IntervalAnswer => "interval",
        UnionAnswer => "union",
        MatrixAnswer => "matrix",
        _ => "text",
    };

    private static IReadOnlyList<Answer>? Vector(MatrixAnswer m) =>
        m.Rows.All(r => r.Count == 1) ? m.Rows.Select(r => r[0]).ToList() : m.Rows.Count == 1 ? m.Rows[0] : null;

    private static IntervalAnswer? AsOpenInterval(ManyAnswer m) =>
        m is { Ordered: true, Open: '(', Close: ')', Items.Count: 2 } && m.Items[0] is ScalarAnswer lo && m.Items[1] is ScalarAnswer hi
            ? new IntervalAnswer(lo.Value, hi.Value, false, false)
            : null;

    private static (bool, string) Many(ManyAnswer x, ManyAnswer y)
    {
        static bool Same(Answer p, Answer q) => Compare(p, q, p.ToString()!, q.ToString()!).Item1;
        if (x.Ordered && y.Ordered)
        {
            return (x.Open == y.Open && x.Close == y.Close && x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => Same(p.First, p.Second)),
                "tuple, element by element with the same brackets");
        }

        if (x.Ordered || y.Ordered)
        {
            if (!(x.Ordered ? y.Bare : x.Bare))
            {
                return (false, "a tuple against a set");
            }

            // A point against a bare list: only in the same order.
            return (x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => Same(p.First, p.Second)), "list against tuple, in order");
        }

        var a = Distinct(x.Items, Same);
        var b = Distinct(y.Items, Same);
        return (a.Count == b.Count && Matching(a, b, Same), "set of answers, in any order");
    }

    private static List<T> Distinct<T>(IReadOnlyList<T> items, Func<T, T, bool> same)
    {
        var result = new List<T>();
        foreach (var item in items)
        {
            if (!result.Any(r => same(r, item)))
            {
                result.Add(item);
            }
        }

        return result;
    }

    /// <summary>A one-to-one matching of two equally long lists under <paramref name="same"/> (greedy suffices for an equivalence).</summary>
    private static bool Matching<T>(IReadOnlyList<T> a, IReadOnlyList<T> b, Func<T, T, bool> same)
    {
        var used = new bool[b.Count];
        foreach (var x in a)
        {
            var found = false;
            for (var j = 0; j < b.Count && !found; j++)
            {
                if (!used[j] && same(x, b[j]))
                {
                    used[j] = found = true;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Interval(IntervalAnswer x, IntervalAnswer y) =>
        x.LowClosed == y.LowClosed && x.HighClosed == y.HighClosed && Endpoint(x.Low, y.Low) && Endpoint(x.High, y.High);

    private static bool Endpoint(MathNode a, MathNode b)
    {
        var ia = Infinity(a);
        var ib = Infinity(b);
        if (ia != 0 || ib != 0)
        {
            return ia == ib;
        }

        return Values(a, b).Item1;
    }

    /// <summary>+1 for ∞, -1 for -∞, 0 otherwise.</summary>
    private static int Infinity(MathNode n) => n switch
    {
        ConstantNode { Name: "inf" } => 1,
        NegateNode { Operand: var o } => -Infinity(o),
        _ => 0,
    };

    private static (bool, string) Scalars(ScalarAnswer x, ScalarAnswer y)
    {
        if (x.Unit is not null && y.Unit is not null && !string.Equals(x.Unit, y.Unit, StringComparison.OrdinalIgnoreCase))
        {
            return (false, $"different units ({x.Unit} against {y.Unit})");
        }

        var (equal, rule) = Values(x.Value, y.Value);
        if (equal || x.Percent == y.Percent)
        {
            return (equal, rule);
        }

        // 50% against 0.5: the percent side divided by 100.
        var (percent, other) = x.Percent ? (x.Value, y.Value) : (y.Value, x.Value);
        var (scaled, why) = Values(new ProductNode(percent, new NumberNode(new Rational(100)), true), other);
        return (scaled, why + " (percent as a fraction)");
    }

    private static (bool, string) EquationAgainstValue(EquationAnswer e, ScalarAnswer s)
    {
        if (e.Left is VariableNode or SubscriptNode { Operand: VariableNode })
        {
            var (equal, rule) = Scalars(new ScalarAnswer(e.Right, null, false), s with { Unit = null });
            return (equal, $"equation {e.Left} = … against its value: {rule}");
        }

        if (e.Right is VariableNode)
        {
            var (equal, rule) = Scalars(new ScalarAnswer(e.Left, null, false), s with { Unit = null });
            return (equal, $"equation … = {e.Right} against its value: {rule}");
        }

        return (false, "an equation against a value");
    }

    private static (bool, string) Equations(EquationAnswer x, EquationAnswer y)
    {
        if (x.Left is VariableNode a && y.Left is VariableNode b && a.Name == b.Name)
        {
            var (equal, rule) = Values(x.Right, y.Right);
            return (equal, $"equations for {a.Name}: {rule}");
        }

        var dx = new SumNode(x.Left, x.Right, true);
        var dy = new SumNode(y.Left, y.Right, true);
        var vars = Vars(dx);
        vars.UnionWith(Vars(dy));
        if (vars.Count == 0)
        {
            return (false, "equations without variables");
        }

        // Same solution set when (left - right) of one is a constant non-zero multiple of the other's.
        Complex? ratio = null;
        var agreed = 0;
        foreach (var env in RandomPoints(vars))
        {
            if (MathEvaluator.Evaluate(dx, env) is not { IsFinite: true } u || MathEvaluator.Evaluate(dy, env) is not { IsFinite: true } v)
            {
                continue;
            }

            if (Complex.Abs(v.Approx) < 1e-12)
            {
                if (Complex.Abs(u.Approx) < 1e-12)
                {
                    continue;
                }

                return (false, "equations: sides not proportional");
            }

            var r = u.Approx / v.Approx;
            if (ratio is null)
            {
                ratio = r;
            }
            else if (!Close(r, ratio.Value, PointTolerance))
            {
                return (false, "equations: sides not proportional");
            }

            agreed++;
        }

        return (agreed >= 3 && ratio is { } k && Complex.Abs(k) > 1e-12, $"equations: proportional at {agreed} random points");
    }

    /// <summary>Whether two expressions are equal: identical, exact, numeric, or at random points.</summary>
    public static (bool, string) Values(MathNode x, MathNode y)
    {
        if (x.ToString() == y.ToString())
        {
            return (true, "identical");
        }

        // Variables on one side only are allowed (sin^2 x + cos^2 x against 1): the random points decide.
        var vx = Vars(x);
        vx.UnionWith(Vars(y));
        if (vx.Count == 0)
        {
            var a = MathEvaluator.Evaluate(x);
            var b = MathEvaluator.Evaluate(y);
            if (a is null || b is null)
            {
                return (false, "no value to compare");
            }

            if (a.Value.Exact is { } ea && b.Value.Exact is { } eb)
            {
                return (ea.Equals(eb), "exact rational arithmetic");
            }

            if (!a.Value.IsFinite || !b.Value.IsFinite)
            {
                return (false, "not a finite value");
            }

            return (Close(a.Value.Approx, b.Value.Approx, Tolerance), "numeric, relative tolerance 1e-9");
        }

        var agreed = 0;
        foreach (var env in RandomPoints(vx))
        {
            var a = MathEvaluator.Evaluate(x, env);
            var b = MathEvaluator.Evaluate(y, env);
            if (a is not { IsFinite: true } || b is not { IsFinite: true })
            {
                continue;
            }

            if (!Close(a.Value.Approx, b.Value.Approx, PointTolerance))
            {
                return (false, $"differ at a random point ({string.Join(", ", env.Select(kv => $"{kv.Key}={kv.Value.Real:G4}"))})");
            }

            agreed++;
        }

        return (agreed >= 3, $"equal at {agreed} random points (tolerance 1e-8)");
    }

    private static bool Close(Complex a, Complex b, double tolerance) =>
        Complex.Abs(a - b) <= tolerance * Math.Max(1.0, Math.Max(Complex.Abs(a), Complex.Abs(b)));

    /// <summary>Deterministic points with each variable in [0.5, 2.5): away from the branch cuts of roots and logarithms.</summary>
    private static IEnumerable<Dictionary<string, Complex>> RandomPoints(HashSet<string> vars)
    {
        var names = vars.Order(StringComparer.Ordinal).ToList();
        var random = new Random(string.Join(",", names).Aggregate(17, (h, c) => unchecked(h * 31 + c)));
        for (var p = 0; p < Points; p++)
        {
            yield return names.ToDictionary(n => n, _ => new Complex(0.5 + 2 * random.NextDouble(), 0), StringComparer.Ordinal);
        }
    }
}
