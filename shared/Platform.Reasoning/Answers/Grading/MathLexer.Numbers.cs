using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>Numbers of the lexer: thousands groups (commas, spaces, thin spaces), decimal points and commas, repeating decimals, scientific notation.</summary>
public static partial class MathLexer
{
    private static int Number(string s, int i, int end, List<MathToken> tokens, bool decimalComma)
    {
        var j = i;
        while (j < end && char.IsAsciiDigit(s[j]))
        {
            j++;
        }

        var digits = new StringBuilder(s, i, j - i, 32);

        // Thousands groups: 1,234,567 (1-3 leading digits, then groups of exactly three) — but not
        // right after an opening bracket, where (12,102) is a pair.
        var previous = i - 1;
        while (previous >= 0 && s[previous] == ' ')
        {
            previous--;
        }

        // Thin-space groups (1 000, 1\,000, 1~000) too, in either reading of the comma. A leading group
        // that starts with 0 is never an integer's (0,111 is a decimal comma or a list).
        var opensTuple = previous >= 0 && s[previous] is '(' or '[';
        if (digits.Length is >= 1 and <= 3 && s[i] != '0')
        {
            while (true)
            {
                var separator = s.AsSpan(j, Math.Min(2, end - j)) switch
                {
                    [',', ..] when !decimalComma && !opensTuple => 1,
                    [' ' or '~', ..] => 1,
                    ['\\', ',' or ' ' or ';' or ':'] => 2,
                    _ => 0,
                };
                if (separator == 0 || j + separator + 3 > end || !IsDigits(s, j + separator, 3) || (j + separator + 3 < end && char.IsAsciiDigit(s[j + separator + 3])))
                {
                    break;
                }

                digits.Append(s, j + separator, 3);
                j += separator + 3;
            }
        }

        var fraction = "";
        if (j + 1 < end && (s[j] == '.' || (decimalComma && s[j] == ',')) && char.IsAsciiDigit(s[j + 1]))
        {
            var k = j + 1;
            while (k < end && char.IsAsciiDigit(s[k]))
            {
                k++;
            }

            fraction = s[(j + 1)..k];
            j = k;
        }
        else if (j < end && s[j] == '.' && (j + 1 == end || !char.IsAsciiLetter(s[j + 1])))
        {
            j++; // "5." : a trailing decimal point
        }

        // A repeating decimal: 0.\overline{3} is 1/3, 1.2\overline{45} is 1.2454545...
        var repeating = "";
        if (At(s, j, "\\overline{"))
        {
            var k = j + 10;
            var digitsStart = k;
            while (k < end && char.IsAsciiDigit(s[k]) && k - digitsStart < 20)
            {
                k++;
            }

            if (k > digitsStart && k < end && s[k] == '}')
            {
                repeating = s[digitsStart..k];
                j = k + 1;
            }
        }

        // Scientific notation written with e: 1.5e3, 2E-4 (the exponent must be digits).
        var exponent = 0;
        if (j + 1 < end && (s[j] == 'e' || s[j] == 'E'))
        {
            var k = j + 1;
            var sign = 1;
            if (k < end && (s[k] == '-' || s[k] == '+'))
            {
                sign = s[k] == '-' ? -1 : 1;
                k++;
            }

            var digitsStart = k;
            while (k < end && char.IsAsciiDigit(s[k]) && k - digitsStart < 4)
            {
                k++;
            }

            if (k > digitsStart && (k == end || !char.IsAsciiLetterOrDigit(s[k])))
            {
                exponent = sign * int.Parse(s.AsSpan(digitsStart, k - digitsStart), CultureInfo.InvariantCulture);
                j = k;
            }
        }

        var integer = digits.Length == 0 ? "0" : digits.ToString();
        if (integer.Length + fraction.Length > 400)
        {
            // Absurdly long numbers are kept as text: exact arithmetic on them is not worth the time.
            tokens.Add(new MathToken(TokenKind.Word, integer + "." + fraction));
            return j;
        }

        var value = new Rational(BigInteger.Parse(integer + fraction, CultureInfo.InvariantCulture), BigInteger.Pow(10, fraction.Length));
        if (repeating.Length > 0)
        {
            // digits d repeating after the written fraction: d / (10^fraction * (10^|d| - 1))
            value += new Rational(BigInteger.Parse(repeating, CultureInfo.InvariantCulture),
                BigInteger.Pow(10, fraction.Length) * (BigInteger.Pow(10, repeating.Length) - 1));
        }

        if (exponent != 0)
        {
            var scale = new Rational(BigInteger.Pow(10, Math.Abs(exponent)), BigInteger.One);
            value = exponent > 0 ? value * scale : value / scale;
        }

        tokens.Add(new MathToken(TokenKind.Number, s[i..j], value));
        return j;
    }

    private static bool IsDigits(string s, int start, int count)
    {
        for (var k = start; k < start + count; k++)
        {
            if (!char.IsAsciiDigit(s[k]))
            {
                return false;
            }
        }

        return true;
    }
}
