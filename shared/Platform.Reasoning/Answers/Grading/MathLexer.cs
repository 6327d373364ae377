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
                var separator = s[j..Math.Min(end, j + 2)] switch
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

    /// <summary>Reads a backslash command at <paramref name="i"/>; returns the index after it, or -1 when unreadable.</summary>
    private static int Command(string s, int i, int end, List<MathToken> tokens, bool textMode, bool decimalComma)
    {
        var j = i + 1;
        if (j >= end)
        {
            return -1;
        }

        if (!char.IsAsciiLetter(s[j]))
        {
            // \{ \} \| \\ \, \! \; \: \  \% \&
            var single = s[j];
            switch (single)
            {
                case '{':
                    tokens.Add(new MathToken(TokenKind.LSet, "{"));
                    return j + 1;
                case '}':
                    tokens.Add(new MathToken(TokenKind.RSet, "}"));
                    return j + 1;
                case '\\':
                    tokens.Add(new MathToken(TokenKind.RowBreak, "\\\\"));
                    return j + 1;
                case '|':
                    tokens.Add(new MathToken(TokenKind.Bar, "|"));
                    return j + 1;
                case '%':
                    tokens.Add(new MathToken(TokenKind.Percent, "%"));
                    return j + 1;
                case '&':
                    tokens.Add(new MathToken(TokenKind.Ampersand, "&"));
                    return j + 1;
                case ',' or '!' or ';' or ':' or ' ' or '>':
                    return j + 1;
                default:
                    return -1;
            }
        }

        var k = j;
        while (k < end && char.IsAsciiLetter(s[k]))
        {
            k++;
        }

        var name = s[j..k];
        switch (name)
        {
            case "left" or "right" or "bigl" or "bigr" or "Bigl" or "Bigr" or "big" or "Big" or "bigg" or "Bigg":
                // \left. is an invisible delimiter.
                return k < end && s[k] == '.' ? k + 1 : k;
            case "displaystyle" or "textstyle" or "quad" or "qquad" or "limits" or "nolimits" or "mathord" or "ensuremath":
                return k;
            case "frac" or "dfrac" or "tfrac" or "cfrac":
                tokens.Add(new MathToken(TokenKind.Frac, "frac"));
                return ShortArguments(s, k, end, tokens, 2);
            case "binom" or "dbinom" or "tbinom":
                tokens.Add(new MathToken(TokenKind.Binom, "binom"));
                return ShortArguments(s, k, end, tokens, 2);
            case "sqrt":
                tokens.Add(new MathToken(TokenKind.Sqrt, "sqrt"));
                return k < end && s[k] == '[' ? k : ShortArguments(s, k, end, tokens, 1);
            case "pi":
                tokens.Add(new MathToken(TokenKind.Constant, "pi"));
                return k;
            case "infty" or "infinity" or "inf":
                tokens.Add(new MathToken(TokenKind.Constant, "inf"));
                return k;
            case "cdot" or "times" or "ast":
                tokens.Add(new MathToken(TokenKind.Times, "*"));
                return k;
            case "div":
                tokens.Add(new MathToken(TokenKind.Divide, "/"));
                return k;
            case "pm" or "mp":
                tokens.Add(new MathToken(TokenKind.PlusMinus, "±"));
                return k;
            case "cup":
                tokens.Add(new MathToken(TokenKind.Union, "∪"));
                return k;
            case "cap":
                tokens.Add(new MathToken(TokenKind.Intersection, "∩"));
                return k;
            case "le" or "leq" or "leqslant":
                tokens.Add(new MathToken(TokenKind.Relation, "<="));
                return k;
            case "ge" or "geq" or "geqslant":
                tokens.Add(new MathToken(TokenKind.Relation, ">="));
                return k;
            case "lt":
                tokens.Add(new MathToken(TokenKind.Relation, "<"));
                return k;
            case "gt":
                tokens.Add(new MathToken(TokenKind.Relation, ">"));
                return k;
            case "ne" or "neq":
                tokens.Add(new MathToken(TokenKind.Relation, "!="));
                return k;
            case "not":
            {
                // \not= is \neq; other negated relations are not read.
                var after = k;
                while (after < end && s[after] == ' ')
                {
                    after++;
                }

                if (after < end && s[after] == '=')
                {
                    tokens.Add(new MathToken(TokenKind.Relation, "!="));
                    return after + 1;
                }

                return -1;
            }

            case "textgreater":
                tokens.Add(new MathToken(TokenKind.Relation, ">"));
                return k;
            case "textless":
                tokens.Add(new MathToken(TokenKind.Relation, "<"));
                return k;
            case "approx" or "simeq" or "approxeq" or "thickapprox":
                tokens.Add(new MathToken(TokenKind.Relation, Approximately));
                return k;
            case "in":
                tokens.Add(new MathToken(TokenKind.In, "in"));
                return k;
            case "circ" or "degree":
                tokens.Add(new MathToken(TokenKind.Degree, "°"));
                return k;
            case "lvert" or "rvert" or "vert" or "mid":
                tokens.Add(new MathToken(TokenKind.Bar, "|"));
                return k;
            case "lbrace":
                tokens.Add(new MathToken(TokenKind.LSet, "{"));
                return k;
            case "rbrace":
                tokens.Add(new MathToken(TokenKind.RSet, "}"));
                return k;
            case "text" or "textbf" or "textit" or "mbox" or "mathrm" or "textrm" or "mathbf" or "textnormal" or "operatorname" or "mathit" or "textsf" or "mathsf":
            {
                var (inner, after) = Braced(s, k, end);
                if (inner < 0)
                {
                    return -1;
                }

                // \operatorname{sin} and \mathrm{e} are math; other text is words.
                var content = s[inner..(after - 1)].Trim();
                if (Functions.Contains(content) || (name is "mathrm" or "mathbf" or "mathit" && content.Length <= 1))
                {
                    return Lex(s, inner, after - 1, tokens, textMode: false, decimalComma) ? after : -1;
                }

                return Lex(s, inner, after - 1, tokens, textMode: true, decimalComma) ? after : -1;
            }

            case "boxed" or "fbox" or "mathbb" or "mathcal" or "overline" or "hat" or "vec" or "bar" or "tilde" or "widehat" or "overrightarrow":
            {
                var (inner, after) = Braced(s, k, end);
                if (inner < 0)
                {
                    return -1;
                }

                var open = tokens.Count;
                tokens.Add(new MathToken(TokenKind.LBrace, "{"));
                if (!Lex(s, inner, after - 1, tokens, textMode, decimalComma))
                {
                    return -1;
                }

                tokens.Add(new MathToken(TokenKind.RBrace, "}"));
                if (name is "mathbb" or "mathcal")
                {
                    // \mathbb{R}: a named set, kept as a word.
                    tokens.RemoveRange(open, tokens.Count - open);
                    tokens.Add(new MathToken(TokenKind.Word, "\\" + name + "{" + s[inner..(after - 1)].Trim() + "}"));
                }

                return after;
            }

            case "begin" or "end":
            {
                var (inner, after) = Braced(s, k, end);
                if (inner < 0)
                {
                    return -1;
                }

                var environment = s[inner..(after - 1)];

                // vmatrix and Vmatrix are determinants and norms (numbers), not matrices: not read.
                if (environment is "vmatrix" or "Vmatrix" || (!environment.EndsWith("matrix", StringComparison.Ordinal) && environment != "array"))
                {
                    return -1;
                }

                if (name == "begin" && environment == "array")
                {
                    // \begin{array}{cc}: skip the column specification.
                    var (specInner, specAfter) = Braced(s, after, end);
                    after = specInner < 0 ? after : specAfter;
                }

                tokens.Add(new MathToken(name == "begin" ? TokenKind.MatrixBegin : TokenKind.MatrixEnd, environment));
                return after;
            }

            default:
                if (Functions.Contains(name))
                {
                    tokens.Add(new MathToken(TokenKind.Function, name));
                    return k;
                }

                if (Greek.ContainsKey(name))
                {
                    tokens.Add(new MathToken(TokenKind.Variable, name));
                    return k;
                }

                // Unknown commands are kept as words: compared as written, never evaluated.
                tokens.Add(new MathToken(TokenKind.Word, "\\" + name));
                return k;
        }
    }

    /// <summary>
    /// After <c>\frac</c>, <c>\binom</c> or <c>\sqrt</c>: an argument written without braces is one
    /// character (<c>\frac12</c> is 1/2, <c>\frac 59</c> is 5/9), so it becomes its own token.
    /// </summary>
    private static int ShortArguments(string s, int k, int end, List<MathToken> tokens, int count)
    {
        for (var a = 0; a < count; a++)
        {
            while (k < end && s[k] == ' ')
            {
                k++;
            }

            if (k >= end || s[k] is '{' or '\\')
            {
                return k; // braced (or a command): the parser reads it
            }

            if (char.IsAsciiDigit(s[k]))
            {
                tokens.Add(new MathToken(TokenKind.Number, s[k].ToString(), new Rational(s[k] - '0', 1)));
            }
            else if (char.IsAsciiLetter(s[k]))
            {
                tokens.Add(s[k] switch
                {
                    'e' => new MathToken(TokenKind.Constant, "e"),
                    'i' => new MathToken(TokenKind.Constant, "i"),
                    _ => new MathToken(TokenKind.Variable, s[k].ToString()),
                });
            }
            else
            {
                return k;
            }

            k++;
        }

        return k;
    }

    /// <summary>The span inside the braces that open at (or after spaces from) <paramref name="k"/>: (start of content, index after the closing brace).</summary>
    private static (int Inner, int After) Braced(string s, int k, int end)
    {
        while (k < end && s[k] == ' ')
        {
            k++;
        }

        if (k >= end || s[k] != '{')
        {
            return (-1, -1);
        }

        var depth = 0;
        for (var j = k; j < end; j++)
        {
            if (s[j] == '\\' && j + 1 < end)
            {
                j++; // \{ and \} do not count
                continue;
            }

            depth += s[j] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return (k + 1, j + 1);
            }
        }

        return (-1, -1);
    }
}
