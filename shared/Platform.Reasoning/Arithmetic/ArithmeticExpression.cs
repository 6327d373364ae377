using System.Globalization;
using System.Text;

namespace Platform.Reasoning.Arithmetic;

/// <summary>An arithmetic expression tree over non-negative integers with + - *.</summary>
public abstract record ArithmeticExpression
{
    public abstract int Value { get; }

    /// <summary>The operations in the order a step-by-step solution performs them (left subtree, right subtree, node).</summary>
    public IReadOnlyList<ArithmeticStep> Steps()
    {
        var steps = new List<ArithmeticStep>();
        Collect(steps);
        return steps;
    }

    internal abstract void Collect(List<ArithmeticStep> steps);

    /// <summary>Number of operations.</summary>
    public abstract int Operations { get; }

    /// <summary>The expression with the parentheses its evaluation order needs (right-hand sub-expressions always bracketed).</summary>
    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        Write(sb, parent: null, isRight: false);
        return sb.ToString();
    }

    internal abstract void Write(StringBuilder sb, char? parent, bool isRight);

    /// <summary>Parses an expression such as <c>(37+48)*3-19</c>; * binds tighter than + and -, all left-associative.</summary>
    public static ArithmeticExpression Parse(string text)
    {
        var parser = new Parser(text);
        var expression = parser.ParseSum();
        parser.SkipSpaces();
        if (!parser.AtEnd)
        {
            throw new FormatException($"unexpected '{text[parser.Position]}' at position {parser.Position} in '{text}'");
        }

        return expression;
    }

    private sealed class Parser(string text)
    {
        public int Position;
        public bool AtEnd => Position >= text.Length;

        public void SkipSpaces()
        {
            while (!AtEnd && text[Position] == ' ')
            {
                Position++;
            }
        }

        public ArithmeticExpression ParseSum()
        {
            var left = ParseProduct();
            while (true)
            {
                SkipSpaces();
                if (AtEnd || (text[Position] != '+' && text[Position] != '-'))
                {
                    return left;
                }

                var op = text[Position++];
                left = new BinaryExpression(op, left, ParseProduct());
            }
        }

        private ArithmeticExpression ParseProduct()
        {
            var left = ParseAtom();
            while (true)
            {
                SkipSpaces();
                if (AtEnd || text[Position] != '*')
                {
                    return left;
                }

                Position++;
                left = new BinaryExpression('*', left, ParseAtom());
            }
        }

        private ArithmeticExpression ParseAtom()
        {
            SkipSpaces();
            if (AtEnd)
            {
                throw new FormatException($"expression '{text}' ends where a number or '(' was expected");
            }

            if (text[Position] == '(')
            {
                Position++;
                var inner = ParseSum();
                SkipSpaces();
                if (AtEnd || text[Position] != ')')
                {
                    throw new FormatException($"missing ')' at position {Position} in '{text}'");
                }

                Position++;
                return inner;
            }

            var start = Position;
            while (!AtEnd && char.IsAsciiDigit(text[Position]))
            {
                Position++;
            }

            if (start == Position)
            {
                throw new FormatException($"unexpected '{text[Position]}' at position {Position} in '{text}'");
            }

            if (Position - start > 9)
            {
                throw new FormatException($"number too long at position {start} in '{text}'");
            }

            return new NumberExpression(int.Parse(text.AsSpan(start, Position - start), CultureInfo.InvariantCulture));
        }
    }
}

public sealed record NumberExpression(int Number) : ArithmeticExpression
{
    public override int Value => Number;
    public override int Operations => 0;
    internal override void Collect(List<ArithmeticStep> steps) { }
    internal override void Write(StringBuilder sb, char? parent, bool isRight) => sb.Append(Number.ToString(CultureInfo.InvariantCulture));
}

public sealed record BinaryExpression(char Operator, ArithmeticExpression Left, ArithmeticExpression Right) : ArithmeticExpression
{
    public override int Value => ArithmeticStep.Apply(Left.Value, Operator, Right.Value);
    public override int Operations => 1 + Left.Operations + Right.Operations;

    internal override void Collect(List<ArithmeticStep> steps)
    {
        Left.Collect(steps);
        Right.Collect(steps);
        steps.Add(new ArithmeticStep(Left.Value, Operator, Right.Value, Value));
    }

    internal override void Write(StringBuilder sb, char? parent, bool isRight)
    {
        var bracket = parent is not null && (isRight || (parent == '*' && Operator != '*'));
        if (bracket)
        {
            sb.Append('(');
        }

        Left.Write(sb, Operator, isRight: false);
        sb.Append(Operator);
        Right.Write(sb, Operator, isRight: true);
        if (bracket)
        {
            sb.Append(')');
        }
    }
}

/// <summary>One operation of a solution: <c>Left Operator Right = Result</c>.</summary>
public readonly record struct ArithmeticStep(int Left, char Operator, int Right, int Result)
{
    public static int Apply(int left, char op, int right) => op switch
    {
        '+' => left + right,
        '-' => left - right,
        '*' => left * right,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "operator must be +, - or *"),
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Left}{Operator}{Right}={Result}");
}
