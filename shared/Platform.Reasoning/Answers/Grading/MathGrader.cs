using System.Numerics;
using System.Text;

namespace Platform.Reasoning.Answers.Grading;

/// <summary>The grader's decision on one pair, with the normalised forms and the rule that decided.</summary>
public sealed record GradeVerdict(bool Equivalent, string Rule, string Gold, string Predicted);

/// <summary>
/// Decides whether two answers are the same mathematical object. Both are lexed and parsed to trees,
/// turned into answer shapes (a value, an equation, a tuple or point, an unordered set of answers, an
/// interval or union of intervals, a matrix, text) and compared by shape:
/// <list type="bullet">
/// <item>values: exact rational arithmetic where it suffices; otherwise complex doubles with a relative
/// tolerance of 1e-9 (no variables) or, with variables, agreement at six random points with tolerance
/// 1e-8 (Schwartz–Zippel: distinct polynomials and rational functions rarely agree there); units are
/// dropped when only one side has them or both agree, a percent sign on one side also matches the
/// value divided by 100, degree marks are dropped;</item>
/// <item>equations: <c>x = 3</c> matches <c>3</c>; two equations match when their sides agree or their
/// differences are proportional; inequalities are the intervals they describe;</item>
/// <item>tuples and points in order with the same brackets, sets and bare lists in any order, intervals
/// by endpoints and open or closed ends, matrices element by element;</item>
/// <item>text: letters and digits, case ignored.</item>
/// </list>
/// A wrong answer must not be accepted: when shapes differ or a side cannot be read as math, only the
/// normalised texts can match. Inputs are bounded (length, tokens, nesting) so any input gets a verdict
/// quickly; what exceeds the bounds is compared as text.
/// </summary>
public static partial class MathGrader
{
    public const int MaxLength = 2000;
    public const int MaxTokens = 400;
    public const int MaxDepth = 24;
    private const double Tolerance = 1e-9;
    private const double PointTolerance = 1e-8;
    private const int Points = 6;

    public static bool Equivalent(string? gold, string? predicted) => gold is not null && predicted is not null && Decide(gold, predicted, explain: false).Equivalent;

    /// <summary>The verdict with both normalised forms, the rule that decided and the reading rules either side needed.</summary>
    public static GradeVerdict Grade(string gold, string predicted) => Decide(gold, predicted, explain: true);

    /// <summary>The verdict; with <paramref name="explain"/> false (grading runs) the reading notes are not gathered.</summary>
    private static GradeVerdict Decide(string gold, string predicted, bool explain)
    {
        var g = Read(gold, decimalComma: false);
        var p = Read(predicted, decimalComma: false);
        if (g.Answer is null || p.Answer is null)
        {
            var same = SimpleText(gold) == SimpleText(predicted) && SimpleText(gold).Length > 0;
            return new GradeVerdict(same, $"text ({g.Problem ?? p.Problem})", g.Form, p.Form);
        }

        var (equal, rule) = Compare(g.Answer, p.Answer, gold, predicted);
        rule += Readings(g, p, explain);
        if (!equal && HasDecimalComma(predicted) && g.Answer is ScalarAnswer && Read(predicted, decimalComma: true) is { Answer: ScalarAnswer } pc)
        {
            var (retry, why) = Compare(g.Answer, pc.Answer!, gold, predicted);
            if (retry)
            {
                return new GradeVerdict(true, why + " (decimal comma)" + Readings(g, pc, explain), g.Form, pc.Form);
            }
        }

        if (!equal && HasDecimalComma(gold) && p.Answer is ScalarAnswer && Read(gold, decimalComma: true) is { Answer: ScalarAnswer } gc)
        {
            var (retry, why) = Compare(gc.Answer!, p.Answer, gold, predicted);
            if (retry)
            {
                return new GradeVerdict(true, why + " (decimal comma)" + Readings(gc, p, explain), gc.Form, p.Form);
            }
        }

        return new GradeVerdict(equal, rule, g.Form, p.Form);
    }

    private sealed record Reading(Answer? Answer, string Form, string? Problem, List<MathToken>? Tokens = null);

    /// <summary>The reading rules of docs/grading.md that either side's text needed, for <c>--explain</c>: "; read: …", or nothing.</summary>
    private static string Readings(Reading a, Reading b, bool explain)
    {
        if (!explain)
        {
            return "";
        }

        var notes = Notes(a.Tokens ?? []).Concat(Notes(b.Tokens ?? [])).Distinct().ToList();
        return notes.Count == 0 ? "" : $"; read: {string.Join("; ", notes)}";
    }

    /// <summary>Which non-obvious reading rules the tokens of an answer went through.</summary>
    private static List<string> Notes(List<MathToken> tokens)
    {
        var notes = new List<string>();
        void Note(bool applies, string note)
        {
            if (applies && !notes.Contains(note))
            {
                notes.Add(note);
            }
        }

        foreach (var t in tokens)
        {
            Note(t.Kind == TokenKind.Number && t.Text.AsSpan().IndexOfAny(' ', '~', '\\') >= 0, "digit groups separated by spaces are one number");
            Note(t.Kind == TokenKind.Number && t.Text.Contains(',') && (t.Text.Contains('.') || t.Value.Denominator.IsOne), "commas between groups of three digits are thousands separators");
            Note(t.Kind == TokenKind.Relation && t.Text == MathLexer.Approximately, "≈: the exact value before it is the answer (the approximation only when just a name precedes it)");
            Note(t.Kind == TokenKind.Word && MathLexer.IsPercentWord(t.Text), "percent written as a word");
            Note(t.Kind == TokenKind.Word && MathLexer.IsCurrencyWord(t.Text), "currency dropped");
        }

        return notes;
    }

    private static Reading Read(string text, bool decimalComma)
    {
        if (text.Length > MaxLength)
        {
            return new Reading(null, Shorten(text), $"longer than {MaxLength} characters");
        }

        if (MaxNesting(text) > MaxDepth)
        {
            return new Reading(null, Shorten(text), $"nested deeper than {MaxDepth}");
        }

        var tokens = MathLexer.Tokenize(text, decimalComma);
        if (tokens is null)
        {
            return new Reading(null, Shorten(text), "unparseable");
        }

        if (tokens.Count > MaxTokens)
        {
            return new Reading(null, Shorten(text), $"more than {MaxTokens} tokens");
        }

        if (tokens.Count == 0)
        {
            return new Reading(null, "", "empty");
        }

        var node = MathParser.Parse(tokens);
        if (node is null)
        {
            return new Reading(null, Shorten(text), "unparseable");
        }

        var answer = Shape(node);
        return new Reading(answer, answer.ToString(), null, tokens);
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";

    private static int MaxNesting(string s)
    {
        int depth = 0, max = 0;
        foreach (var c in s)
        {
            if (c is '{' or '(' or '[')
            {
                max = Math.Max(max, ++depth);
            }
            else if (c is '}' or ')' or ']')
            {
                depth = Math.Max(0, depth - 1);
            }
        }

        return max;
    }

    /// <summary>
    /// A comma between digits that cannot be a thousands separator: not followed by exactly three digits
    /// (3,5 or 2,75), or after an integer part that starts with 0 (0,111).
    /// </summary>
    private static bool HasDecimalComma(string text)
    {
        var s = text.Length > MaxLength ? text : MathLexer.Prepare(text);
        for (var i = 1; i + 1 < s.Length; i++)
        {
            if (s[i] == ',' && char.IsAsciiDigit(s[i - 1]) && char.IsAsciiDigit(s[i + 1]))
            {
                var start = i - 1;
                while (start > 0 && char.IsAsciiDigit(s[start - 1]))
                {
                    start--;
                }

                if (s[start] == '0')
                {
                    return true;
                }

                var run = 0;
                while (i + 1 + run < s.Length && char.IsAsciiDigit(s[i + 1 + run]))
                {
                    run++;
                }

                if (run != 3)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Letters and digits only, lower case, \text and braces gone: what text answers compare by.</summary>
    public static string SimpleText(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, MaxLength));
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\')
            {
                // A command name (\text, \textbf, \mbox ...) is formatting, not content.
                while (i + 1 < s.Length && char.IsAsciiLetter(s[i + 1]))
                {
                    i++;
                }

                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.ToString();
    }
}
