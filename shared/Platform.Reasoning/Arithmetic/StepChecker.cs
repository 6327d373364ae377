using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Reasoning.Arithmetic;

/// <summary>The oracle's verdict on one step of a candidate solution.</summary>
public readonly record struct StepVerdict(int Index, string Text, bool Correct, string Reason);

/// <summary>
/// The exact oracle for the arithmetic task: a step is correct when it and every step before it is
/// the right operation (same operands and operator as the reference order, true arithmetic); the
/// answer line is correct when all steps before it are and its value is the problem's value. It measures
/// verifiers, and is one of the two label sources a verifier can be trained on (the analogue of human
/// step labels); it never helps a verifier at inference time.
/// </summary>
public static partial class StepChecker
{
    [GeneratedRegex(@"^(\d{1,9})([+\-*])(\d{1,9})=(\d{1,9})$")]
    private static partial Regex OperationLine();

    public static IReadOnlyList<StepVerdict> Check(string problem, string solution)
    {
        var expected = ArithmeticExpression.Parse(problem);
        var reference = expected.Steps();
        var lines = ArithmeticFormat.SplitSteps(solution);
        var verdicts = new List<StepVerdict>(lines.Count);
        var stillRight = true;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            string reason;
            bool correct;
            if (line.StartsWith("A:", StringComparison.Ordinal))
            {
                var value = line[2..].Trim();
                correct = stillRight && i == reference.Count && value == expected.Value.ToString(CultureInfo.InvariantCulture);
                reason = correct ? "ok" : !stillRight ? "after a wrong step" : i != reference.Count ? "answer before the last operation" : "wrong answer";
            }
            else
            {
                (correct, reason) = CheckOperation(line, i < reference.Count ? reference[i] : null);
                if (!stillRight)
                {
                    (correct, reason) = (false, "after a wrong step");
                }
            }

            stillRight &= correct;
            verdicts.Add(new StepVerdict(i, line, correct, reason));
        }

        return verdicts;
    }

    /// <summary>True when the solution ends in a correct answer line with every step correct.</summary>
    public static bool IsFullyCorrect(string problem, string solution)
    {
        var verdicts = Check(problem, solution);
        return verdicts.Count > 0 && verdicts.All(v => v.Correct) && verdicts[^1].Text.StartsWith("A:", StringComparison.Ordinal);
    }

    private static (bool, string) CheckOperation(string line, ArithmeticStep? reference)
    {
        var match = OperationLine().Match(line);
        if (!match.Success)
        {
            return (false, "malformed");
        }

        var left = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var op = match.Groups[2].Value[0];
        var right = int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
        var result = int.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture);
        if (ArithmeticStep.Apply(left, op, right) != result)
        {
            return (false, "arithmetic error");
        }

        if (reference is not { } r)
        {
            return (false, "extra step");
        }

        var sameOperands = op == r.Operator &&
            ((left == r.Left && right == r.Right) || (op != '-' && left == r.Right && right == r.Left));
        return sameOperands ? (true, "ok") : (false, "wrong operation");
    }
}
