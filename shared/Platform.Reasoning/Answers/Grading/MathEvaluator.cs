using System.Numerics;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>A value: exact when rational arithmetic sufficed, otherwise a complex double.</summary>
public readonly record struct MathValue(Rational? Exact, Complex Approx)
{
    public static MathValue Of(Rational r) => new(r, new Complex(r.ToDouble(), 0));

    public static MathValue Of(Complex c) => new(null, c);

    public bool IsFinite => double.IsFinite(Approx.Real) && double.IsFinite(Approx.Imaginary);
}

/// <summary>
/// Evaluates an expression tree: + - × ÷ and integer powers in exact rational arithmetic (bounded in
/// size), square roots of perfect squares exactly, everything else (other roots, π, e, i, trig, logs)
/// in complex doubles. Variables take the values of <paramref name="env"/>. Returns null for what has
/// no single value (text, sets, ±, infinity, division by zero, factorials too large to matter).
/// </summary>
public static class MathEvaluator
{
    private const long MaxExactDigits = 4000;

    public static MathValue? Evaluate(MathNode node, IReadOnlyDictionary<string, Complex>? env = null)
    {
        switch (node)
        {
            case NumberNode n:
                return MathValue.Of(n.Value);
            case VariableNode v:
                return env is not null && env.TryGetValue(v.Name, out var x) ? MathValue.Of(x) : null;
            case SubscriptNode { Operand: VariableNode } s:
                return env is not null && env.TryGetValue(s.ToString(), out var y) ? MathValue.Of(y) : null;
            case ConstantNode c:
                return c.Name switch
                {
                    "pi" => MathValue.Of(new Complex(Math.PI, 0)),
                    "e" => MathValue.Of(new Complex(Math.E, 0)),
                    "i" => MathValue.Of(Complex.ImaginaryOne),
                    _ => null,
                };
            case NegateNode neg:
                return Evaluate(neg.Operand, env) is { } a ? a.Exact is { } e ? MathValue.Of(-e) : MathValue.Of(-a.Approx) : null;
            case SumNode sum:
                return Combine(sum.Left, sum.Right, env, (p, q) => sum.Subtract ? p - q : p + q, (p, q) => sum.Subtract ? p - q : p + q);
            case MixedNode mixed:
                return Combine(mixed.Whole, mixed.Fraction, env, (p, q) => p.Sign < 0 ? p - q : p + q, (p, q) => p.Real < 0 ? p - q : p + q);
            case ProductNode { Divide: false } product:
                return Combine(product.Left, product.Right, env, (p, q) => p * q, (p, q) => p * q);
            case ProductNode { Divide: true } quotient:
                return Divide(quotient.Left, quotient.Right, env);
            case FractionNode fraction:
                return Divide(fraction.Numerator, fraction.Denominator, env);
            case PowerNode power:
                return Power(power, env);
            case PercentNode percent:
                return Evaluate(percent.Operand, env) is { } p ? Scale(p, new Rational(1, 100)) : null;
            case DegreeNode degree:
                return Evaluate(degree.Operand, env);
            case BinomialNode binomial:
                return Binomial(binomial, env);
            case FunctionNode f:
                return Function(f, env);
            default:
                return null;
        }
    }

    private static MathValue Scale(MathValue v, Rational factor) =>
        v.Exact is { } e ? MathValue.Of(e * factor) : MathValue.Of(v.Approx * factor.ToDouble());

    private static MathValue? Combine(MathNode left, MathNode right, IReadOnlyDictionary<string, Complex>? env,
        Func<Rational, Rational, Rational> exact, Func<Complex, Complex, Complex> approx)
    {
        if (Evaluate(left, env) is not { } a || Evaluate(right, env) is not { } b)
        {
            return null;
        }

        if (a.Exact is { } x && b.Exact is { } y && x.Digits + y.Digits < MaxExactDigits)
        {
            return MathValue.Of(exact(x, y));
        }

        return MathValue.Of(approx(a.Approx, b.Approx));
    }

    private static MathValue? Divide(MathNode left, MathNode right, IReadOnlyDictionary<string, Complex>? env)
    {
        if (Evaluate(left, env) is not { } a || Evaluate(right, env) is not { } b)
        {
            return null;
        }

        if (b.Exact is { IsZero: true } || b.Approx == Complex.Zero)
        {
            return null;
        }

        return a.Exact is { } x && b.Exact is { } y && x.Digits + y.Digits < MaxExactDigits ? MathValue.Of(x / y) : MathValue.Of(a.Approx / b.Approx);
    }

    private static MathValue? Power(PowerNode power, IReadOnlyDictionary<string, Complex>? env) =>
        Evaluate(power.Base, env) is { } b && Evaluate(power.Exponent, env) is { } e ? Power(b, e) : null;

    private static MathValue? Power(MathValue b, MathValue e)
    {
        if (b.Exact is { } x && e.Exact is { } n)
        {
            if (n.IsInteger)
            {
                if (x.Pow(n.Numerator, MaxExactDigits) is { } exact)
                {
                    return MathValue.Of(exact);
                }

                if (x.IsZero)
                {
                    return null; // 0 to a negative power
                }
            }
            else if (n.Denominator == 2 && x.Sign >= 0 && x.Sqrt() is { } root && root.Pow(n.Numerator, MaxExactDigits) is { } r)
            {
                return MathValue.Of(r);
            }
        }

        // Real roots of negative numbers for odd denominators ((-8)^(1/3) = -2), complex otherwise.
        if (e.Exact is { IsInteger: false } q && !q.Denominator.IsEven && b.Approx.Imaginary == 0 && b.Approx.Real < 0)
        {
            var magnitude = Math.Pow(-b.Approx.Real, q.ToDouble());
            return MathValue.Of(new Complex(q.Numerator.IsEven ? magnitude : -magnitude, 0));
        }

        if (e.Exact is { IsInteger: true } k && BigInteger.Abs(k.Numerator) < 4096)
        {
            return MathValue.Of(Complex.Pow(b.Approx, (double)k.Numerator));
        }

        return MathValue.Of(Complex.Pow(b.Approx, e.Approx));
    }

    private static MathValue? Binomial(BinomialNode node, IReadOnlyDictionary<string, Complex>? env)
    {
        if (Evaluate(node.Top, env) is not { Exact: { IsInteger: true } n } || Evaluate(node.Bottom, env) is not { Exact: { IsInteger: true } k })
        {
            return null;
        }

        if (n.Sign < 0 || k.Sign < 0 || k.Numerator > n.Numerator || n.Numerator > 2000)
        {
            return n.Sign >= 0 && k.Numerator > n.Numerator ? MathValue.Of(new Rational(0)) : null;
        }

        BigInteger result = 1;
        var kk = (int)BigInteger.Min(k.Numerator, n.Numerator - k.Numerator);
        for (var i = 1; i <= kk; i++)
        {
            result = result * (n.Numerator - kk + i) / i;
        }

        return MathValue.Of(new Rational(result, 1));
    }

    private static MathValue? Function(FunctionNode f, IReadOnlyDictionary<string, Complex>? env)
    {
        if (Evaluate(f.Argument, env) is not { } a)
        {
            return null;
        }

        switch (f.Name)
        {
            case "sqrt":
            {
                var index = f.Base is null ? (MathValue?)MathValue.Of(new Rational(2)) : Evaluate(f.Base, env);
                if (index is not { Exact: { IsInteger: true, Sign: > 0 } n })
                {
                    return null;
                }

                if (n.Numerator == 2 && a.Exact is { } x && x.Sqrt() is { } root)
                {
                    return MathValue.Of(root);
                }

                return n.Numerator == 2 ? MathValue.Of(Complex.Sqrt(a.Approx)) : Power(a, MathValue.Of(new Rational(1) / n));
            }

            case "abs":
                return a.Exact is { } e ? MathValue.Of(e.Sign < 0 ? -e : e) : MathValue.Of(new Complex(Complex.Abs(a.Approx), 0));
            case "fact":
                if (a.Exact is not { IsInteger: true, Sign: >= 0 } m || m.Numerator > 500)
                {
                    return null;
                }

                BigInteger product = 1;
                for (var i = 2; i <= (int)m.Numerator; i++)
                {
                    product *= i;
                }

                return MathValue.Of(new Rational(product, 1));
        }

        var z = a.Approx;
        Complex? value = f.Name switch
        {
            "sin" => Complex.Sin(z),
            "cos" => Complex.Cos(z),
            "tan" => Complex.Tan(z),
            "cot" => 1 / Complex.Tan(z),
            "sec" => 1 / Complex.Cos(z),
            "csc" => 1 / Complex.Sin(z),
            "arcsin" => Complex.Asin(z),
            "arccos" => Complex.Acos(z),
            "arctan" => Complex.Atan(z),
            "sinh" => Complex.Sinh(z),
            "cosh" => Complex.Cosh(z),
            "tanh" => Complex.Tanh(z),
            "exp" => Complex.Exp(z),
            "ln" => Complex.Log(z),
            "lg" => Complex.Log10(z),
            "log" => f.Base is null ? Complex.Log(z) : Evaluate(f.Base, env) is { } b ? Complex.Log(z) / Complex.Log(b.Approx) : null,
            _ => null,
        };
        return value is { } v ? MathValue.Of(v) : null;
    }
}
