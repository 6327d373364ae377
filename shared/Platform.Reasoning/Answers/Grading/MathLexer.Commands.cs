using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>Backslash commands of the lexer: fractions, roots, relations, text, boxes, environments, Greek letters.</summary>
public static partial class MathLexer
{
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
