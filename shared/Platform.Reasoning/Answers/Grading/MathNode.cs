using System.Globalization;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>The expression tree of a parsed answer. <see cref="ToString"/> is its normalised form.</summary>
public abstract record MathNode
{
    public abstract override string ToString();

    /// <summary>Variables (names) the tree uses.</summary>
    public virtual void Variables(HashSet<string> into)
    {
        foreach (var child in Children)
        {
            child.Variables(into);
        }
    }

    public virtual IEnumerable<MathNode> Children => [];

    /// <summary>Whether the tree holds a node that the predicate accepts.</summary>
    public bool Contains(Func<MathNode, bool> predicate) => predicate(this) || Children.Any(c => c.Contains(predicate));
}

public sealed record NumberNode(Rational Value, bool Decimal = false) : MathNode
{
    public override string ToString() => Value.ToString();
}

public sealed record VariableNode(string Name) : MathNode
{
    public override string ToString() => Name;

    public override void Variables(HashSet<string> into) => into.Add(Name);
}

/// <summary>pi, e, i (the imaginary unit) and inf.</summary>
public sealed record ConstantNode(string Name) : MathNode
{
    public override string ToString() => Name switch { "pi" => "π", "inf" => "∞", _ => Name };
}

public sealed record SumNode(MathNode Left, MathNode Right, bool Subtract) : MathNode
{
    public override IEnumerable<MathNode> Children => [Left, Right];
    public override string ToString() => $"({Left} {(Subtract ? "-" : "+")} {Right})";
}

/// <summary>a ± b: two answers.</summary>
public sealed record PlusMinusNode(MathNode? Left, MathNode Right) : MathNode
{
    public override IEnumerable<MathNode> Children => Left is null ? [Right] : [Left, Right];
    public override string ToString() => Left is null ? $"(±{Right})" : $"({Left} ± {Right})";
}

public sealed record ProductNode(MathNode Left, MathNode Right, bool Divide) : MathNode
{
    public override IEnumerable<MathNode> Children => [Left, Right];
    public override string ToString() => $"({Left} {(Divide ? "/" : "·")} {Right})";
}

/// <summary>\frac{a}{b}: a division as written with the fraction command.</summary>
public sealed record FractionNode(MathNode Numerator, MathNode Denominator) : MathNode
{
    public override IEnumerable<MathNode> Children => [Numerator, Denominator];
    public override string ToString() => $"({Numerator} / {Denominator})";
}

/// <summary>A mixed number: 137\frac{1}{2} is 137 + 1/2.</summary>
public sealed record MixedNode(NumberNode Whole, MathNode Fraction) : MathNode
{
    public override IEnumerable<MathNode> Children => [Whole, Fraction];
    public override string ToString() => $"({Whole} + {Fraction})";
}

public sealed record PowerNode(MathNode Base, MathNode Exponent) : MathNode
{
    public override IEnumerable<MathNode> Children => [Base, Exponent];
    public override string ToString() => $"{Base}^{Exponent}";
}

public sealed record NegateNode(MathNode Operand) : MathNode
{
    public override IEnumerable<MathNode> Children => [Operand];
    public override string ToString() => $"-{Operand}";
}

/// <summary>sin, cos, ..., log (natural, or to <see cref="Base"/>), exp, sqrt (with <see cref="Base"/> as the index), abs, fact, binom.</summary>
public sealed record FunctionNode(string Name, MathNode Argument, MathNode? Base = null) : MathNode
{
    public override IEnumerable<MathNode> Children => Base is null ? [Argument] : [Argument, Base];
    public override string ToString() => Base is null ? $"{Name}({Argument})" : $"{Name}_{Base}({Argument})";
}

public sealed record BinomialNode(MathNode Top, MathNode Bottom) : MathNode
{
    public override IEnumerable<MathNode> Children => [Top, Bottom];
    public override string ToString() => $"C({Top}, {Bottom})";
}

/// <summary>A percentage: 50% is 50 with a percent mark.</summary>
public sealed record PercentNode(MathNode Operand) : MathNode
{
    public override IEnumerable<MathNode> Children => [Operand];
    public override string ToString() => $"{Operand}%";
}

public sealed record DegreeNode(MathNode Operand) : MathNode
{
    public override IEnumerable<MathNode> Children => [Operand];
    public override string ToString() => $"{Operand}°";
}

/// <summary>x_1 (a name) or 52_8 (a numeral in base 8).</summary>
public sealed record SubscriptNode(MathNode Operand, MathNode Index) : MathNode
{
    public override IEnumerable<MathNode> Children => [Operand, Index];
    public override string ToString() => $"{Operand}_{Index}";

    public override void Variables(HashSet<string> into)
    {
        if (Operand is VariableNode v)
        {
            into.Add(ToString());
            return;
        }

        base.Variables(into);
    }
}

/// <summary>Words: a text answer, or units next to a number.</summary>
public sealed record TextNode(string Text) : MathNode
{
    public override string ToString() => $"\"{Text}\"";
}

/// <summary>Items in brackets: a point, a tuple, or an interval, with the brackets as written.</summary>
public sealed record BracketNode(char Open, IReadOnlyList<MathNode> Items, char Close) : MathNode
{
    public override IEnumerable<MathNode> Children => Items;
    public override string ToString() => $"{Open}{string.Join(", ", Items)}{Close}";
}

public sealed record SetNode(IReadOnlyList<MathNode> Items) : MathNode
{
    public override IEnumerable<MathNode> Children => Items;
    public override string ToString() => $"{{{string.Join(", ", Items)}}}";
}

/// <summary>Answers separated by commas, semicolons or "or"/"and".</summary>
public sealed record ListNode(IReadOnlyList<MathNode> Items) : MathNode
{
    public override IEnumerable<MathNode> Children => Items;
    public override string ToString() => string.Join(", ", Items);
}

public sealed record UnionNode(IReadOnlyList<MathNode> Parts) : MathNode
{
    public override IEnumerable<MathNode> Children => Parts;
    public override string ToString() => string.Join(" ∪ ", Parts);
}

/// <summary>An equation, inequality or chain (a &lt; x &lt;= b), or membership (x ∈ S).</summary>
public sealed record RelationNode(IReadOnlyList<MathNode> Operands, IReadOnlyList<string> Operators) : MathNode
{
    public override IEnumerable<MathNode> Children => Operands;

    public override string ToString()
    {
        var parts = new List<string> { Operands[0].ToString() };
        for (var i = 0; i < Operators.Count; i++)
        {
            parts.Add(Operators[i]);
            parts.Add(Operands[i + 1].ToString());
        }

        return string.Join(" ", parts);
    }
}

public sealed record MatrixNode(IReadOnlyList<IReadOnlyList<MathNode>> Rows) : MathNode
{
    public override IEnumerable<MathNode> Children => Rows.SelectMany(r => r);
    public override string ToString() => "[" + string.Join("; ", Rows.Select(r => string.Join(", ", r))) + "]";
}

internal static class NodeText
{
    public static string Number(double value) => value.ToString("G10", CultureInfo.InvariantCulture);
}
