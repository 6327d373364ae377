using System.Globalization;
using System.Text;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Metrics;
using Platform.Reasoning.Selection;

namespace Platform.Training.Evaluation;

/// <summary>What one held-out problem gave: the greedy answer, N samples, and (with a PRM) their step scores.</summary>
public sealed record ProblemOutcome(
    ArithmeticRecord Problem,
    bool GreedyCorrect,
    IReadOnlyList<string> Samples,
    IReadOnlyList<string?> Answers,
    IReadOnlyList<bool> Correct,
    IReadOnlyList<IReadOnlyList<double>>? StepScores);

public sealed record LevelMetrics
{
    public int Problems { get; init; }
    public double Greedy { get; init; }
    public double PassAt1 { get; init; }
    public double PassAtN { get; init; }
    public double MajorityAtN { get; init; }
    public double? BestOfNLast { get; init; }
    public double? WeightedBestOfNLast { get; init; }
    public double? StepAuc { get; init; }
}

public sealed record EvaluationReport
{
    public string Model { get; init; } = "";
    public string? Verifier { get; init; }
    public int Samples { get; init; }
    public double Temperature { get; init; }
    public ulong Seed { get; init; }
    public LevelMetrics Overall { get; init; } = new();
    public SortedDictionary<int, LevelMetrics> ByLevel { get; init; } = [];
    public long GeneratedTokens { get; init; }
    public double WallSeconds { get; init; }
    public int StepsScored { get; init; }
    public int StepCountMismatches { get; init; }
}

public static class GeneratorEvaluation
{
    public static List<ProblemOutcome> Run(DecoderSession generator, PrmScorer? verifier, IReadOnlyList<ArithmeticRecord> problems,
        int samples, double temperature, ulong seed, Action<int>? progress = null)
    {
        var outcomes = new List<ProblemOutcome>(problems.Count);
        const int chunk = 16;
        for (var start = 0; start < problems.Count; start += chunk)
        {
            var part = problems.Skip(start).Take(chunk).ToList();
            var requests = new List<GenerationRequest>();
            for (var k = 0; k < part.Count; k++)
            {
                var prompt = ArithmeticFormat.Prompt(part[k].Problem);
                requests.Add(new GenerationRequest { Prompt = prompt, Samples = 1, Sampling = new SamplingOptions { Temperature = 0 } });
                requests.Add(new GenerationRequest
                {
                    Prompt = prompt, Samples = samples,
                    Sampling = new SamplingOptions { Temperature = temperature, Seed = seed * 1_000_003UL + (ulong)(start + k) },
                });
            }

            var results = generator.Generate(requests);
            for (var k = 0; k < part.Count; k++)
            {
                var greedy = results[2 * k].Samples[0].Text;
                var texts = results[2 * k + 1].Samples.Select(s => s.Text).ToList();
                var answers = texts.Select(ArithmeticFormat.ExtractAnswer).ToList();
                IReadOnlyList<IReadOnlyList<double>>? scores = null;
                if (verifier is not null)
                {
                    var prompt = ArithmeticFormat.Prompt(part[k].Problem);
                    scores = verifier.Score(texts.Select(t => new ScoreRequest(prompt, t)).ToList()).Select(s => s.Scores).ToList();
                }

                outcomes.Add(new ProblemOutcome(part[k], ArithmeticFormat.ExtractAnswer(greedy) == part[k].Answer, texts, answers,
                    answers.Select(a => a == part[k].Answer).ToList(), scores));
            }

            progress?.Invoke(outcomes.Count);
        }

        return outcomes;
    }

    public static EvaluationReport Report(string model, string? verifier, List<ProblemOutcome> outcomes, int samples, double temperature,
        ulong seed, long generatedTokens, double wallSeconds)
    {
        var auc = StepLabels(outcomes, out var steps, out var mismatches);
        return new EvaluationReport
        {
            Model = model, Verifier = verifier, Samples = samples, Temperature = temperature, Seed = seed,
            Overall = Metrics(outcomes, auc.All),
            ByLevel = new SortedDictionary<int, LevelMetrics>(outcomes.GroupBy(o => o.Problem.Level)
                .ToDictionary(g => g.Key, g => Metrics(g.ToList(), auc.ByLevel.GetValueOrDefault(g.Key)))),
            GeneratedTokens = generatedTokens, WallSeconds = wallSeconds, StepsScored = steps, StepCountMismatches = mismatches,
        };
    }

    private static LevelMetrics Metrics(IReadOnlyList<ProblemOutcome> o, double? auc)
    {
        var n = o[0].Samples.Count;
        var scored = o.All(x => x.StepScores is not null);
        double Rate(Func<ProblemOutcome, bool> f) => o.Count(f) / (double)o.Count;
        bool Picked(ProblemOutcome x, int? index) => index is { } i && x.Correct[i];
        return new LevelMetrics
        {
            Problems = o.Count,
            Greedy = Rate(x => x.GreedyCorrect),
            PassAt1 = o.Average(x => PassAtK.Estimate(n, x.Correct.Count(c => c), 1)),
            PassAtN = Rate(x => x.Correct.Any(c => c)),
            MajorityAtN = Rate(x => Picked(x, AnswerSelection.Majority(x.Answers))),
            BestOfNLast = scored ? Rate(x => Picked(x, AnswerSelection.Best(x.Answers, Last(x)))) : null,
            WeightedBestOfNLast = scored ? Rate(x => Picked(x, AnswerSelection.Weighted(x.Answers, Last(x)))) : null,
            StepAuc = auc,
        };
    }

    private static List<double> Last(ProblemOutcome x) => x.StepScores!.Select(s => StepAggregation.Last.Aggregate(s)).ToList();

    /// <summary>ROC-AUC of PRM step scores against the oracle step checker, overall and per level.</summary>
    private static (double? All, Dictionary<int, double?> ByLevel) StepLabels(List<ProblemOutcome> outcomes, out int steps, out int mismatches)
    {
        var all = (Scores: new List<double>(), Labels: new List<bool>());
        var byLevel = new Dictionary<int, (List<double> Scores, List<bool> Labels)>();
        mismatches = 0;
        foreach (var o in outcomes.Where(o => o.StepScores is not null))
        {
            if (!byLevel.TryGetValue(o.Problem.Level, out var level))
            {
                byLevel[o.Problem.Level] = level = ([], []);
            }

            for (var s = 0; s < o.Samples.Count; s++)
            {
                var verdicts = StepChecker.Check(o.Problem.Problem, o.Samples[s]);
                var scores = o.StepScores![s];
                if (verdicts.Count != scores.Count)
                {
                    mismatches++;
                    continue;
                }

                for (var i = 0; i < scores.Count; i++)
                {
                    all.Scores.Add(scores[i]);
                    all.Labels.Add(verdicts[i].Correct);
                    level.Scores.Add(scores[i]);
                    level.Labels.Add(verdicts[i].Correct);
                }
            }
        }

        steps = all.Scores.Count;
        return (all.Scores.Count == 0 ? null : RocAuc.Compute(all.Scores, all.Labels),
            byLevel.ToDictionary(kv => kv.Key, kv => kv.Value.Scores.Count == 0 ? null : RocAuc.Compute(kv.Value.Scores, kv.Value.Labels)));
    }

    public static string Table(EvaluationReport r)
    {
        var prm = r.Verifier is not null;
        var n = r.Samples;
        var sb = new StringBuilder();
        sb.Append($"| level | problems | greedy | pass@1 (T={r.Temperature.ToString(CultureInfo.InvariantCulture)}) | pass@{n} | maj@{n} |");
        sb.AppendLine(prm ? $" BoN@{n} (last) | weighted BoN@{n} (last) | step AUC |" : "");
        sb.Append("|---|---|---|---|---|---|").AppendLine(prm ? "---|---|---|" : "");
        foreach (var (level, m) in r.ByLevel.Select(kv => (kv.Key.ToString(CultureInfo.InvariantCulture), kv.Value)).Append(("all", r.Overall)))
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {level} | {m.Problems} | {P(m.Greedy)} | {P(m.PassAt1)} | {P(m.PassAtN)} | {P(m.MajorityAtN)} |");
            sb.AppendLine(prm ? $" {P(m.BestOfNLast)} | {P(m.WeightedBestOfNLast)} | {(m.StepAuc is { } a ? a.ToString("F3", CultureInfo.InvariantCulture) : "-")} |" : "");
        }

        return sb.ToString();
    }

    private static string P(double? v) => v is { } x ? (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";
}
