namespace Platform.Reasoning.Arithmetic;

/// <summary>The difficulty dials of generated problems.</summary>
public sealed record ArithmeticSpec
{
    public int MinOperations { get; init; } = 1;
    public int MaxOperations { get; init; } = 6;
    public int MinDigits { get; init; } = 1;
    public int MaxDigits { get; init; } = 3;

    /// <summary>Probability that an operation takes a bracketed sub-expression as its right operand.</summary>
    public double Nesting { get; init; } = 0.3;

    /// <summary>Every intermediate value stays within 0..MaxValue.</summary>
    public int MaxValue { get; init; } = 999;

    public void Validate()
    {
        if (MinOperations < 1 || MaxOperations > 6 || MinOperations > MaxOperations)
        {
            throw new ArgumentException($"operations must satisfy 1 <= min <= max <= 6 (was {MinOperations}-{MaxOperations})");
        }

        if (MinDigits < 1 || MaxDigits > 3 || MinDigits > MaxDigits)
        {
            throw new ArgumentException($"digits must satisfy 1 <= min <= max <= 3 (was {MinDigits}-{MaxDigits})");
        }

        if (Nesting is < 0 or > 1)
        {
            throw new ArgumentException($"nesting must be a probability in [0, 1] (was {Nesting})");
        }
    }
}

/// <summary>One generated problem with its oracle solution.</summary>
public sealed record ArithmeticProblem(ArithmeticExpression Expression, int Digits)
{
    public string Problem => Expression.ToString();
    public int Answer => Expression.Value;

    /// <summary>Difficulty level: the number of operations (1-6).</summary>
    public int Level => Expression.Operations;

    public bool Nested => Expression.Steps().Count > 0 && HasRightSubexpression(Expression);
    public string Solution => ArithmeticFormat.Solution(Expression);

    private static bool HasRightSubexpression(ArithmeticExpression e) =>
        e is BinaryExpression b && (b.Right is BinaryExpression || HasRightSubexpression(b.Left));
}

/// <summary>
/// Deterministic problems: the same seed and spec give the same sequence on every machine (the
/// generator uses its own xorshift, not System.Random, whose algorithm may change between runtimes).
/// </summary>
public sealed class ArithmeticGenerator(ArithmeticSpec spec, ulong seed)
{
    private readonly Rng _rng = new(seed);

    public ArithmeticSpec Spec { get; } = Validated(spec);

    private static ArithmeticSpec Validated(ArithmeticSpec spec)
    {
        spec.Validate();
        return spec;
    }

    public IEnumerable<ArithmeticProblem> Generate(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next();
        }
    }

    public ArithmeticProblem Next()
    {
        var operations = _rng.Between(Spec.MinOperations, Spec.MaxOperations);
        var digits = _rng.Between(Spec.MinDigits, Spec.MaxDigits);
        while (true)
        {
            var expression = TryBuild(operations, digits);
            if (expression is not null)
            {
                return new ArithmeticProblem(expression, digits);
            }
        }
    }

    private ArithmeticExpression? TryBuild(int operations, int digits)
    {
        ArithmeticExpression current = new NumberExpression(Operand(digits));
        var used = 0;
        var attempts = 0;
        while (used < operations)
        {
            if (++attempts > 200)
            {
                return null;
            }

            var op = "+-*"[_rng.Between(0, 2)];
            var nest = operations - used >= 2 && _rng.NextDouble() < Spec.Nesting;
            ArithmeticExpression? right = nest ? NestedOperand(op, current.Value, digits) : PlainOperand(op, current.Value, digits);
            if (right is null)
            {
                continue;
            }

            current = new BinaryExpression(op, current, right);
            used += 1 + right.Operations;
        }

        return current;
    }

    /// <summary>A number that <paramref name="op"/> can combine with <paramref name="left"/> within 0..MaxValue.</summary>
    private NumberExpression? PlainOperand(char op, int left, int digits)
    {
        var value = RightValue(op, left, digits);
        return value is null ? null : new NumberExpression(value.Value);
    }

    private int? RightValue(char op, int left, int digits)
    {
        switch (op)
        {
            case '*':
            {
                var max = Math.Min(9, Spec.MaxValue / Math.Max(left, 1));
                return max < 2 ? null : _rng.Between(2, max);
            }
            case '+':
            {
                var (lo, hi) = Range(digits);
                hi = Math.Min(hi, Spec.MaxValue - left);
                return hi < lo ? null : _rng.Between(lo, hi);
            }
            default:
            {
                var (lo, hi) = Range(digits);
                hi = Math.Min(hi, left);
                return hi < lo ? null : _rng.Between(lo, hi);
            }
        }
    }

    /// <summary>A bracketed one-operation sub-expression whose value fits as the right operand.</summary>
    private BinaryExpression? NestedOperand(char op, int left, int digits)
    {
        var target = RightValue(op, left, digits);
        if (target is null || target < 2)
        {
            return null;
        }

        var r = target.Value;
        switch ("+-*"[_rng.Between(0, 2)])
        {
            case '+':
            {
                var a = _rng.Between(1, r - 1);
                return new BinaryExpression('+', new NumberExpression(a), new NumberExpression(r - a));
            }
            case '-':
            {
                var (lo, hi) = Range(digits);
                hi = Math.Min(hi, Spec.MaxValue - r);
                if (hi < lo)
                {
                    return null;
                }

                var b = _rng.Between(lo, hi);
                return new BinaryExpression('-', new NumberExpression(r + b), new NumberExpression(b));
            }
            default:
            {
                var factors = Enumerable.Range(2, 8).Where(m => r % m == 0 && r / m >= 1).ToList();
                if (factors.Count == 0)
                {
                    return null;
                }

                var m = factors[_rng.Between(0, factors.Count - 1)];
                return new BinaryExpression('*', new NumberExpression(r / m), new NumberExpression(m));
            }
        }
    }

    private int Operand(int digits)
    {
        var (lo, hi) = Range(digits);
        return _rng.Between(lo, Math.Min(hi, Spec.MaxValue));
    }

    private static (int Lo, int Hi) Range(int digits) => digits switch
    {
        1 => (1, 9),
        2 => (10, 99),
        _ => (100, 999),
    };

    /// <summary>xorshift64*: small, fast and fixed forever.</summary>
    private sealed class Rng(ulong seed)
    {
        private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed * 0x9E3779B97F4A7C15UL;

        public ulong NextULong()
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            return _state * 2685821657736338717UL;
        }

        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform in [lo, hi], both inclusive.</summary>
        public int Between(int lo, int hi) => lo + (int)(NextULong() % (ulong)(hi - lo + 1));
    }
}
