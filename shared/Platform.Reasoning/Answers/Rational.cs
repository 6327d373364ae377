using System.Globalization;
using System.Numerics;

namespace Platform.Reasoning.Answers;

/// <summary>An exact fraction, so 0.5, 1/2 and \frac{2}{4} are equal and 0.1 + 0.2 is 0.3.</summary>
public readonly record struct Rational : IComparable<Rational>
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
        _denominator = denominator;
    }

    public Rational(long value) : this(value, 1)
    {
    }

    public BigInteger Numerator { get; }

    /// <summary>Positive; 1 for the default value as well (0/1).</summary>
    public BigInteger Denominator => _denominator.IsZero ? BigInteger.One : _denominator;

    private readonly BigInteger _denominator;

    public bool IsZero => Numerator.IsZero;
    public bool IsInteger => Denominator.IsOne;
    public int Sign => Numerator.Sign;

    /// <summary>Size in decimal digits of numerator and denominator together (a cost bound for exact work).</summary>
    public long Digits => (long)(BigInteger.Abs(Numerator).GetBitLength() + Denominator.GetBitLength()) * 3 / 10 + 2;

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

    public static Rational operator +(Rational a, Rational b) => new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static Rational operator -(Rational a, Rational b) => new(a.Numerator * b.Denominator - b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static Rational operator *(Rational a, Rational b) => new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);
    public static Rational operator /(Rational a, Rational b) => new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);
    public static Rational operator -(Rational a) => new(-a.Numerator, a.Denominator);

    public bool Equals(Rational other) => Numerator == other.Numerator && Denominator == other.Denominator;

    public override int GetHashCode() => HashCode.Combine(Numerator, Denominator);

    public int CompareTo(Rational other) => (Numerator * other.Denominator).CompareTo(other.Numerator * Denominator);

    /// <summary>a^n for an integer n, or null when the result would exceed <paramref name="maxDigits"/> digits (or 0 to a negative power).</summary>
    public Rational? Pow(BigInteger n, long maxDigits = 2000)
    {
        if (n.IsZero)
        {
            return new Rational(1);
        }

        if (IsZero)
        {
            return n.Sign > 0 ? this : null;
        }

        if (BigInteger.Abs(Numerator).IsOne && Denominator.IsOne)
        {
            return Numerator.Sign > 0 || n.IsEven ? new Rational(1) : new Rational(-1);
        }

        if (BigInteger.Abs(n) > maxDigits || Digits * (double)BigInteger.Abs(n) > maxDigits)
        {
            return null;
        }

        var e = (int)BigInteger.Abs(n);
        var result = new Rational(BigInteger.Pow(Numerator, e), BigInteger.Pow(Denominator, e));
        return n.Sign > 0 ? result : new Rational(1) / result;
    }

    /// <summary>The exact square root when numerator and denominator are perfect squares, else null.</summary>
    public Rational? Sqrt()
    {
        if (Sign < 0)
        {
            return null;
        }

        var n = IntegerSqrt(Numerator);
        var d = IntegerSqrt(Denominator);
        return n * n == Numerator && d * d == Denominator ? new Rational(n, d) : null;
    }

    private static BigInteger IntegerSqrt(BigInteger x)
    {
        if (x < 2)
        {
            return x;
        }

        var r = (BigInteger)Math.Sqrt((double)x);
        while (r * r > x)
        {
            r--;
        }

        while ((r + 1) * (r + 1) <= x)
        {
            r++;
        }

        return r;
    }

    public double ToDouble()
    {
        var n = Numerator;
        var d = Denominator;
        var v = (double)n / (double)d;
        if (double.IsFinite(v) && v != 0)
        {
            return v;
        }

        // Very large or very small parts: scale before dividing.
        var shift = (int)(n.GetBitLength() - d.GetBitLength());
        return shift > 0 ? Math.ScaleB((double)(n / BigInteger.Pow(2, Math.Max(0, shift - 60))) / (double)d, Math.Max(0, shift - 60)) : v;
    }

    public override string ToString() => Denominator.IsOne ? Numerator.ToString(CultureInfo.InvariantCulture) : $"{Numerator}/{Denominator}";
}
