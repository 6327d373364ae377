using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Platform.Reasoning.Answers;

/// <summary>
/// Whether two answers are the same: numbers compare by value (thousands separators, decimals,
/// fractions <c>a/b</c>, <c>\frac{a}{b}</c>, <c>\dfrac</c>, signs, percent, currency and unit
/// decorations, surrounding <c>$…$</c> ignored); anything else compares as normalised text.
/// </summary>
public static partial class AnswerEquivalence
{
    public static bool Equivalent(string? gold, string? predicted)
    {
        if (gold is null || predicted is null)
        {
            return false;
        }

        var g = Normalize(gold);
        var p = Normalize(predicted);
        if (Number(g) is { } a && Number(p) is { } b)
        {
            return a == b;
        }

        return string.Equals(Compact(g), Compact(p), StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"\\(?:text|textbf|mathrm|mbox|mathbf)\{([^{}]*)\}")]
    private static partial Regex TextCommand();

    [GeneratedRegex(@"\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}")]
    private static partial Regex BracedFraction();

    [GeneratedRegex(@"\\[dt]?frac(\d)(\d)")]
    private static partial Regex ShortFraction();

    [GeneratedRegex(@"^[a-zA-Z]\s*=\s*")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"(?<=\d),(?=\d{3}(?!\d))")]
    private static partial Regex ThousandsComma();

    [GeneratedRegex(@"^(?<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+(?:\.\d*)?)?)\s*(?:[a-zA-Z]+\.?(?:\^?\d)?|\^\\circ|\\circ|°)?$")]
    private static partial Regex NumberWithUnit();

    /// <summary>Strips presentation: math delimiters, \text, spacing commands, currency, percent, a leading "x =".</summary>
    public static string Normalize(string answer)
    {
        var s = answer.Trim();
        for (var changed = true; changed;)
        {
            var before = s;
            s = s.Trim();
            if (s.Length >= 2 && s[0] == '$' && s[^1] == '$')
            {
                s = s.Trim('$');
            }

            foreach (var (open, close) in new[] { ("\\(", "\\)"), ("\\[", "\\]") })
            {
                if (s.StartsWith(open, StringComparison.Ordinal) && s.EndsWith(close, StringComparison.Ordinal))
                {
                    s = s[open.Length..^close.Length];
                }
            }

            s = s.TrimEnd('.').Trim();
            changed = s != before;
        }

        s = TextCommand().Replace(s, "$1");
        foreach (var noise in new[] { "\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\ ", "{,}", "\\$", "\\%", "\\displaystyle" })
        {
            s = s.Replace(noise, noise is "{,}" ? "," : noise is "\\%" ? "%" : "", StringComparison.Ordinal);
        }

        s = s.Replace("$", "", StringComparison.Ordinal).Replace("€", "", StringComparison.Ordinal).Replace("£", "", StringComparison.Ordinal);
        s = Assignment().Replace(s.Trim(), "");
        if (s.EndsWith('%'))
        {
            s = s[..^1];
        }

        foreach (var word in new[] { " percent", " dollars", " dollar", " cents" })
        {
            if (s.EndsWith(word, StringComparison.OrdinalIgnoreCase))
            {
                s = s[..^word.Length];
            }
        }

        s = ShortFraction().Replace(s, "$1/$2");
        s = BracedFraction().Replace(s, "$1/$2");
        s = ThousandsComma().Replace(s, "");
        return s.Trim();
    }

    private static string Compact(string s) => new(s.Where(c => !char.IsWhiteSpace(c)).ToArray());

    /// <summary>The exact value of a plain number, decimal or fraction (with an optional unit word), else null.</summary>
    public static Rational? Number(string normalized)
    {
        var text = Compact(normalized.Replace("{", "").Replace("}", ""));
        var negative = false;
        if (text.StartsWith("-(", StringComparison.Ordinal) && text.EndsWith(')'))
        {
            negative = true;
            text = text[2..^1];
        }

        var match = NumberWithUnit().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var parts = match.Groups["num"].Value.Split('/');
        var value = Rational.Parse(parts[0]);
        if (parts.Length == 2)
        {
            var denominator = Rational.Parse(parts[1]);
            if (denominator.IsZero)
            {
                return null;
            }

            value /= denominator;
        }

        return negative ? -value : value;
    }
}

/// <summary>An exact fraction, so 0.5, 1/2 and \frac{2}{4} are equal and 0.1 + 0.2 is 0.3.</summary>
public readonly record struct Rational
{
    public Rational(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero)
        {
            throw new DivideByZeroException();
        }

        if (denominator.Sign < 0)
        {
            (numerator, denominator) = (-numerator, -denominator);
        }

        var g = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!g.IsZero && !g.IsOne)
        {
            (numerator, denominator) = (numerator / g, denominator / g);
        }

        Numerator = numerator;
        Denominator = denominator;
    }

    public BigInteger Numerator { get; }
    public BigInteger Denominator { get; }
    public bool IsZero => Numerator.IsZero;

    /// <summary>Parses "12", "-3.25", "+.5".</summary>
    public static Rational Parse(string text)
    {
        var s = text.Trim();
        var sign = BigInteger.One;
        if (s.StartsWith('-') || s.StartsWith('+'))
        {
            sign = s[0] == '-' ? BigInteger.MinusOne : BigInteger.One;
            s = s[1..];
        }

        var dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        var fraction = dot < 0 ? "" : s[(dot + 1)..];
        var digits = (whole.Length == 0 ? "0" : whole) + fraction;
        return new Rational(sign * BigInteger.Parse(digits, CultureInfo.InvariantCulture), BigInteger.Pow(10, fraction.Length));
    }

    public static Rational operator /(Rational a, Rational b) => new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);
    public static Rational operator -(Rational a) => new(-a.Numerator, a.Denominator);

    public override string ToString() => Denominator.IsOne ? Numerator.ToString(CultureInfo.InvariantCulture) : $"{Numerator}/{Denominator}";
}
