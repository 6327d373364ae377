using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Training.Evaluation;

/// <summary>
/// Does a verifier check arithmetic? For each problem, a step of its reference solution is chosen at
/// random and scored against the same prefix with that step corrupted (result off by one, a digit of
/// the result changed, or a wrong operand with true arithmetic on it; the kinds take turns). A pair
/// counts when the right step scores strictly higher. Chance is half of the pairs.
/// </summary>
public static class PrmProbe
{
    public sealed record KindResult(int Pairs, int Preferred)
    {
        public double Rate => Pairs == 0 ? 0 : Preferred / (double)Pairs;
    }

    public sealed record Result(int Pairs, int Preferred, double RightMean, double WrongMean, SortedDictionary<string, KindResult> ByKind)
    {
        public double Rate => Pairs == 0 ? 0 : Preferred / (double)Pairs;
    }

    public static Result Run(PrmScorer verifier, IReadOnlyList<string> problems, ulong seed)
    {
        var random = new Random((int)(seed % int.MaxValue));
        var requests = new List<ScoreRequest>(2 * problems.Count);
        var kinds = new List<CorruptionKind>(problems.Count);
        for (var i = 0; i < problems.Count; i++)
        {
            var expression = ArithmeticExpression.Parse(problems[i]);
            var steps = expression.Steps();
            var index = random.Next(steps.Count);
            var kind = StepCorruption.Kinds[i % StepCorruption.Kinds.Count];
            var wrong = StepCorruption.Corrupt(steps[index], kind, random);
            requests.Add(new ScoreRequest(problems[i], StepCorruption.Prefix(expression, index), ArithmeticFormat.StepDelimiter.ToString()));
            requests.Add(new ScoreRequest(problems[i], StepCorruption.Prefix(expression, index, wrong), ArithmeticFormat.StepDelimiter.ToString()));
            kinds.Add(kind);
        }

        var scores = verifier.Score(requests);
        var byKind = StepCorruption.Kinds.ToDictionary(k => k, _ => (Pairs: 0, Preferred: 0));
        double right = 0, wrong2 = 0;
        var preferred = 0;
        for (var i = 0; i < problems.Count; i++)
        {
            var r = scores[2 * i].Scores[^1];
            var w = scores[2 * i + 1].Scores[^1];
            var won = r > w;
            preferred += won ? 1 : 0;
            right += r;
            wrong2 += w;
            var k = byKind[kinds[i]];
            byKind[kinds[i]] = (k.Pairs + 1, k.Preferred + (won ? 1 : 0));
        }

        return new Result(problems.Count, preferred, right / problems.Count, wrong2 / problems.Count,
            new SortedDictionary<string, KindResult>(byKind.ToDictionary(kv => kv.Key.ToString(), kv => new KindResult(kv.Value.Pairs, kv.Value.Preferred)), StringComparer.Ordinal));
    }

    public static string Describe(Result r) =>
        $"right step preferred in {r.Preferred}/{r.Pairs} pairs ({100 * r.Rate:F1}%; mean score {r.RightMean:F3} vs {r.WrongMean:F3}); " +
        string.Join(", ", r.ByKind.Select(kv => $"{kv.Key} {kv.Value.Preferred}/{kv.Value.Pairs}"));
}
