using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Reasoning.Answers.Grading;

public enum TokenKind
{
    Number,
    Variable,
    Constant,
    Function,
    Word,
    Frac,
    Sqrt,
    Binom,
    Plus,
    Minus,
    PlusMinus,
    Times,
    Divide,
    Caret,
    Underscore,
    Bang,
    Percent,
    Degree,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    LSet,
    RSet,
    Bar,
    Comma,
    Semicolon,
    Relation,
    In,
    Union,
    Intersection,
    MatrixBegin,
    MatrixEnd,
    Ampersand,
    RowBreak,
}

/// <summary>One lexical unit of a math answer. Numbers carry their exact value.</summary>
public readonly record struct MathToken(TokenKind Kind, string Text, Rational Value = default)
{
    public override string ToString() => Kind == TokenKind.Number ? Value.ToString() : $"{Kind}:{Text}";
}

/// <summary>
/// Turns a LaTeX or plain-text answer into tokens. Presentation is dropped on the way (math delimiters,
/// <c>\left</c>/<c>\right</c>, spacing commands, <c>\displaystyle</c>, currency signs), the
/// <c>\frac</c> family becomes one command, thousands separators (<c>1,234</c>, <c>1{,}234</c>,
/// <c>1,\!234</c>) join their number, <c>^\circ</c> and <c>°</c> become a degree mark, and
/// <c>\text{…}</c> becomes words. Every loop advances through the input, so lexing is linear.
/// </summary>
public static partial class MathLexer
{
    /// <summary>The relation operator of <c>\approx</c>, <c>\simeq</c> and <c>≈</c>.</summary>
    public const string Approximately = "≈";

    /// <summary>Latin letter runs that are words (units, connectives), not products of variables.</summary>
    private static readonly HashSet<string> Words = new(StringComparer.OrdinalIgnoreCase)
    {
        "or", "and", "cm", "mm", "km", "m", "inch", "inches", "ft", "feet", "foot", "yd", "yard", "yards", "mile", "miles", "mph", "units", "unit",
        "cent", "cents", "dollar", "dollars", "degree", "degrees", "deg", "hour", "hours", "hr", "hrs", "minute", "minutes", "min", "second", "seconds",
        "day", "days", "week", "weeks", "year", "years", "kg", "g", "lb", "lbs", "pound", "pounds", "oz", "ounce", "ounces", "liter", "liters", "ml",
        "gallon", "gallons", "meter", "meters", "percent", "square", "sq", "cubic", "people", "students", "ways", "times", "radians",
        "pct", "usd", "eur", "gbp", "euro", "euros",
    };

    /// <summary>Words that mean "percent" next to a number (<c>28 pct</c>; "per cent" becomes "percent" in <see cref="Prepare"/>).</summary>
    public static bool IsPercentWord(string word) => word is "percent" or "pct";

    /// <summary>Currency words next to a number: dropped like a currency sign.</summary>
    public static bool IsCurrencyWord(string word) => word is "dollar" or "dollars" or "usd" or "eur" or "gbp" or "euro" or "euros";

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log", "ln", "exp", "lg",
    };

    private static readonly Dictionary<string, string> Greek = new[]
    {
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi",
        "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
    }.ToDictionary(g => g, g => g, StringComparer.Ordinal);

    /// <summary>Tokens of <paramref name="text"/>, or null when it holds something this grammar cannot read.</summary>
    /// <param name="decimalComma">Read <c>3,5</c> as 3.5 (the grader retries with this when the other side disambiguates).</param>
    public static List<MathToken>? Tokenize(string text, bool decimalComma = false)
    {
        var s = Prepare(text);
        var tokens = new List<MathToken>();
        return Lex(s, 0, s.Length, tokens, textMode: false, decimalComma) ? tokens : null;
    }

    /// <summary>String-level clean-up before lexing: delimiters and spacing that carry no meaning.</summary>
    public static string Prepare(string text)
    {
        var s = PerCent().Replace(text.Trim(), "percent");
        foreach (var (open, close) in new[] { ("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$") })
        {
            if (s.Length >= open.Length + close.Length && s.StartsWith(open, StringComparison.Ordinal) && s.EndsWith(close, StringComparison.Ordinal))
            {
                s = s[open.Length..^close.Length];
            }
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == ',' && NegativeSpaceFollows(s, i + 1))
            {
                // 10,\!080: a thousands separator with its negative thin space (spaces around it allowed).
                sb.Append(',');
                i = s.IndexOf("\\!", i, StringComparison.Ordinal) + 1;
                while (i + 1 < s.Length && s[i + 1] == ' ')
                {
                    i++;
                }

                continue;
            }

            if (c == '{' && At(s, i, "{,}"))
            {
                sb.Append(',');
                i += 2;
                continue;
            }

            if (c == '\\' && i + 1 < s.Length && s[i + 1] == '$')
            {
                i++; // \$ : currency
                continue;
            }

            switch (c)
            {
                case '$' or '€' or '£' or '¥' or '₹' or '₩' or '₽':
                    sb.Append(' ');
                    break;
                case '²' or '³':
                    sb.Append(c == '²' ? "^2" : "^3");
                    break;
                case '≈' or '≃':
                    sb.Append("\\approx ");
                    break;
                case '−' or '–':
                    sb.Append('-');
                    break;
                case '×' or '·' or '⋅':
                    sb.Append('*');
                    break;
                case '÷':
                    sb.Append('/');
                    break;
                case 'π':
                    sb.Append("\\pi ");
                    break;
                case '∞':
                    sb.Append("\\infty ");
                    break;
                case '√':
                    sb.Append("\\sqrt ");
                    break;
                case '∪':
                    sb.Append("\\cup ");
                    break;
                case '±':
                    sb.Append("\\pm ");
                    break;
                case '∈':
                    sb.Append("\\in ");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        s = sb.ToString().Trim().TrimEnd('.').Trim();

        // "\approx 11" on its own: the approximation is the value. "p(x) = x^2+1": the definition's right side.
        s = LeadingApprox().Replace(s, "");
        return FunctionDefinition().Replace(s, "$1 =");
    }

    [GeneratedRegex(@"\bper\s*cent\b", RegexOptions.IgnoreCase)]
    private static partial Regex PerCent();

    [GeneratedRegex(@"^\\(?:approx|simeq|approxeq|thickapprox)(?![a-zA-Z])\s*")]
    private static partial Regex LeadingApprox();

    [GeneratedRegex(@"^([a-zA-Z])\s*\(\s*[a-zA-Z]\s*\)\s*=(?!=)")]
    private static partial Regex FunctionDefinition();

    private static bool NegativeSpaceFollows(string s, int i)
    {
        while (i < s.Length && s[i] == ' ')
        {
            i++;
        }

        return At(s, i, "\\!");
    }

    private static bool At(string s, int i, string what) => i >= 0 && i + what.Length <= s.Length && string.CompareOrdinal(s, i, what, 0, what.Length) == 0;

    private static bool Lex(string s, int start, int end, List<MathToken> tokens, bool textMode, bool decimalComma)
    {
        var i = start;
        while (i < end)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c) || c == '~')
            {
                i++;
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < end && char.IsAsciiDigit(s[i + 1])))
            {
                i = Number(s, i, end, tokens, decimalComma);
                continue;
            }

            if (char.IsAsciiLetter(c))
            {
                var j = i;
                while (j < end && char.IsAsciiLetter(s[j]))
                {
                    j++;
                }

                Letters(s[i..j], tokens, textMode);
                i = j;
                continue;
            }

            if (c == '\\')
            {
                i = Command(s, i, end, tokens, textMode, decimalComma);
                if (i < 0)
                {
                    return false;
                }

                continue;
            }

            if (c == '!' && i + 1 < end && s[i + 1] == '=')
            {
                tokens.Add(new MathToken(TokenKind.Relation, "!="));
                i += 2;
                continue;
            }

            if (c == '^' && At(s, i, "^\\circ"))
            {
                tokens.Add(new MathToken(TokenKind.Degree, "°"));
                i += 6;
                continue;
            }

            if (c == '^' && At(s, i, "^{\\circ}"))
            {
                tokens.Add(new MathToken(TokenKind.Degree, "°"));
                i += 8;
                continue;
            }

            TokenKind? kind = c switch
            {
                '+' => TokenKind.Plus,
                '-' => TokenKind.Minus,
                '*' => TokenKind.Times,
                '/' => TokenKind.Divide,
                '^' => TokenKind.Caret,
                '_' => TokenKind.Underscore,
                '!' => TokenKind.Bang,
                '%' => TokenKind.Percent,
                '°' => TokenKind.Degree,
                '(' => TokenKind.LParen,
                ')' => TokenKind.RParen,
                '[' => TokenKind.LBracket,
                ']' => TokenKind.RBracket,
                '{' => TokenKind.LBrace,
                '}' => TokenKind.RBrace,
                '|' => TokenKind.Bar,
                ',' => TokenKind.Comma,
                ';' => TokenKind.Semicolon,
                '&' => TokenKind.Ampersand,
                '=' or '<' or '>' or '≤' or '≥' or '≠' => TokenKind.Relation,
                '\'' or '"' or ':' or '?' => null,
                _ => null,
            };
            if (kind is { } k)
            {
                var text = c.ToString();
                if (k == TokenKind.Relation && i + 1 < end && s[i + 1] == '=' && c is '<' or '>' or '!')
                {
                    text += "=";
                    i++;
                }

                tokens.Add(new MathToken(k, text switch { "≤" => "<=", "≥" => ">=", "≠" => "!=", _ => text }));
                i++;
                continue;
            }

            if (textMode || c is '\'' or '"' or ':' or '?' or '.')
            {
                i++; // punctuation inside words carries no meaning
                continue;
            }

            return false;
        }

        return true;
    }

    private static void Letters(string run, List<MathToken> tokens, bool textMode)
    {
        if (Functions.Contains(run) && !textMode)
        {
            tokens.Add(new MathToken(TokenKind.Function, run));
            return;
        }

        if (textMode || Words.Contains(run) || run.Length >= 4)
        {
            tokens.Add(new MathToken(TokenKind.Word, run.ToLowerInvariant()));
            return;
        }

        foreach (var ch in run)
        {
            tokens.Add(ch switch
            {
                'e' => new MathToken(TokenKind.Constant, "e"),
                'i' => new MathToken(TokenKind.Constant, "i"),
                _ => new MathToken(TokenKind.Variable, ch.ToString()),
            });
        }
    }
}
