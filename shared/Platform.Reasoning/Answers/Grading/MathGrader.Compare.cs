using System.Numerics;
using System.Text;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>Comparing two answer shapes: values exactly, numerically or at random points; equations, tuples, sets, intervals and matrices by their parts.</summary>
public static partial class MathGrader
{
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
