using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Training.Evaluation;

/// <summary>
/// Does the PRM check arithmetic? For reference solutions of generated problems, compares the score of
/// the correct first step with the same step whose result is off by one, and the score of the correct
/// answer line with one that contradicts the last step. Chance is half of the pairs.
/// </summary>
public static class PrmProbe
{
    public sealed record Result(int Problems, int FirstStepPreferred, double RightFirstStepMean, double WrongFirstStepMean, int AnswerLinePreferred);

    public static Result Run(PrmScorer prm, int count, ulong seed)
    {
        var problems = new ArithmeticGenerator(new ArithmeticSpec { MinOperations = 1, MaxOperations = 4 }, seed).Generate(count).ToList();
        int firstStep = 0, answerLine = 0;
        double right = 0, wrong = 0;
        foreach (var p in problems)
        {
            var prompt = ArithmeticFormat.Prompt(p.Problem);
            var steps = ArithmeticFormat.SplitSteps(p.Solution).ToList();
            var first = p.Expression.Steps()[0];
            steps[0] = new ArithmeticStep(first.Left, first.Operator, first.Right, first.Result + 1).ToString();
            var badStep = string.Concat(steps.Select(x => x + "\n"));
            var badAnswer = p.Solution.Replace($"A: {p.Answer}\n", $"A: {p.Answer + 1}\n", StringComparison.Ordinal);
            var s = prm.Score([new ScoreRequest(prompt, p.Solution), new ScoreRequest(prompt, badStep), new ScoreRequest(prompt, badAnswer)]);
            firstStep += s[0].Scores[0] > s[1].Scores[0] ? 1 : 0;
            answerLine += s[0].Scores[^1] > s[2].Scores[^1] ? 1 : 0;
            right += s[0].Scores[0];
            wrong += s[1].Scores[0];
        }

        return new Result(count, firstStep, right / count, wrong / count, answerLine);
    }
}
