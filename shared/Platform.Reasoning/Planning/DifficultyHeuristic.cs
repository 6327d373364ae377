using Platform.Reasoning.Arithmetic;

namespace Platform.Reasoning.Planning;

/// <summary>A difficulty estimate from the problem text alone (before any sample is drawn).</summary>
public readonly record struct Difficulty(int Bin, double Score);

/// <summary>
/// Problem-feature difficulty: for arithmetic, operations, operand size and bracketing (the dials the
/// task is generated with); for other text, its length. Scores map to five bins (1 easiest). The
/// sweep-fitted, model-specific bins replace this once a policy has been learned.
/// </summary>
public static class DifficultyHeuristic
{
    /// <summary>Upper bounds of bins 1-4 on the arithmetic score; above the last is bin 5.</summary>
    private static readonly double[] ArithmeticBins = [1.5, 2.5, 3.5, 5.0];

    /// <summary>Upper bounds of bins 1-4 on text length in characters.</summary>
    private static readonly double[] TextBins = [120, 240, 400, 700];

    public static Difficulty Estimate(string problem)
    {
        try
        {
            var expression = ArithmeticExpression.Parse(problem);
            var steps = expression.Steps();
            var digits = steps.Count == 0 ? 1 : steps.Max(s => Math.Max(s.Left, s.Right).ToString().Length);
            var nested = problem.Contains('(') ? 0.5 : 0;
            var score = expression.Operations + 0.5 * (digits - 1) + nested;
            return new Difficulty(Bin(score, ArithmeticBins), score);
        }
        catch (FormatException)
        {
            return new Difficulty(Bin(problem.Length, TextBins), problem.Length);
        }
    }

    private static int Bin(double score, double[] bounds)
    {
        for (var i = 0; i < bounds.Length; i++)
        {
            if (score <= bounds[i])
            {
                return i + 1;
            }
        }

        return bounds.Length + 1;
    }
}
