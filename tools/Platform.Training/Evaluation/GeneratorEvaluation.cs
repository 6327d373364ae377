using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Metrics;
using Platform.Reasoning.Selection;

namespace Platform.Training.Evaluation;

/// <summary>What one held-out problem gave: the greedy solution, N samples, and each verifier's step scores of them.</summary>
public sealed record ProblemOutcome(
    ArithmeticRecord Problem,
    string Greedy,
    IReadOnlyList<string> Samples,
    IReadOnlyList<string?> Answers,
    IReadOnlyList<bool> Correct,
    IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<double>>> StepScores)
{
    public bool GreedyCorrect => ArithmeticFormat.ExtractAnswer(Greedy) == Problem.Answer;
}

/// <summary>Selection by one verifier: best-of-N and weighted best-of-N on the last step's score, and step AUC against the checker.</summary>
public sealed record VerifierMetrics
{
    public double BestOfNLast { get; init; }
    public double WeightedBestOfNLast { get; init; }
    public double BestOfNMin { get; init; }
    public double WeightedBestOfNMin { get; init; }
    public double? StepAuc { get; init; }
}

public sealed record LevelMetrics
{
    public int Problems { get; init; }
    public double Greedy { get; init; }
    public double PassAt1 { get; init; }
    public double PassAtN { get; init; }
    public double MajorityAtN { get; init; }
    public SortedDictionary<string, VerifierMetrics> Verifiers { get; init; } = [];
}

/// <summary>How many operation lines of one operator a model wrote, and how many were true arithmetic.</summary>
public sealed record OperationStats
{
    public long Lines { get; init; }
    public long True { get; init; }
    public double Accuracy => Lines == 0 ? 0 : True / (double)Lines;
}

public sealed record EvaluationReport
{
    public string Model { get; init; } = "";
    public long Parameters { get; init; }
    public IReadOnlyList<string> VerifierNames { get; init; } = [];
    public int Samples { get; init; }
    public double Temperature { get; init; }
    public ulong Seed { get; init; }
    public LevelMetrics Overall { get; init; } = new();
    public SortedDictionary<int, LevelMetrics> ByLevel { get; init; } = [];

    /// <summary>Operation lines of the greedy solutions by operator (+, -, *): written, and true.</summary>
    public SortedDictionary<string, OperationStats> GreedyOperations { get; init; } = [];

    /// <summary>The same over the sampled solutions (T = <see cref="Temperature"/>).</summary>
    public SortedDictionary<string, OperationStats> SampledOperations { get; init; } = [];

    /// <summary>Mean number of distinct answers among the N samples.</summary>
    public double DistinctAnswers { get; init; }

    /// <summary>Per verifier: the pairwise probe (right step against a corrupted one).</summary>
    public SortedDictionary<string, PrmProbe.Result> Probes { get; init; } = [];

    public long GeneratedTokens { get; init; }
    public double WallSeconds { get; init; }
    public int StepsScored { get; init; }
    public int StepCountMismatches { get; init; }
}

public static partial class GeneratorEvaluation
{
    [GeneratedRegex(@"^(\d{1,9})([+\-*])(\d{1,9})=(\d{1,9})$")]
    private static partial Regex OperationLine();

    public static List<ProblemOutcome> Run(DecoderSession generator, IReadOnlyDictionary<string, PrmScorer> verifiers, IReadOnlyList<ArithmeticRecord> problems,
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
                var scores = verifiers.ToDictionary(v => v.Key,
                    v => (IReadOnlyList<IReadOnlyList<double>>)v.Value.Score(texts.Select(t => new ScoreRequest(part[k].Problem, t)).ToList()).Select(s => s.Scores).ToList());
                outcomes.Add(new ProblemOutcome(part[k], greedy, texts, answers, answers.Select(a => a == part[k].Answer).ToList(), scores));
            }

            progress?.Invoke(outcomes.Count);
        }

        return outcomes;
    }

    public static EvaluationReport Report(string model, long parameters, IReadOnlyList<string> verifiers, List<ProblemOutcome> outcomes, int samples,
        double temperature, ulong seed, long generatedTokens, double wallSeconds, SortedDictionary<string, PrmProbe.Result> probes)
    {
        var auc = verifiers.ToDictionary(v => v, v => StepAuc(outcomes, v, out _, out _));
        StepAuc(outcomes, verifiers.FirstOrDefault(), out var steps, out var mismatches);
        return new EvaluationReport
        {
            Model = model, Parameters = parameters, VerifierNames = verifiers, Samples = samples, Temperature = temperature, Seed = seed,
            Overall = Metrics(outcomes, verifiers, v => auc[v].All),
            ByLevel = new SortedDictionary<int, LevelMetrics>(outcomes.GroupBy(o => o.Problem.Level)
                .ToDictionary(g => g.Key, g => Metrics(g.ToList(), verifiers, v => auc[v].ByLevel.GetValueOrDefault(g.Key)))),
            GreedyOperations = Operations(outcomes.Select(o => o.Greedy)),
            SampledOperations = Operations(outcomes.SelectMany(o => o.Samples)),
            DistinctAnswers = outcomes.Average(o => o.Answers.Where(a => a is not null).Distinct().Count()),
            Probes = probes,
            GeneratedTokens = generatedTokens, WallSeconds = wallSeconds, StepsScored = steps, StepCountMismatches = mismatches,
        };
    }

    /// <summary>Operation lines (<c>a+b=c</c>) by operator, and how many are true arithmetic (whatever their operands).</summary>
    public static SortedDictionary<string, OperationStats> Operations(IEnumerable<string> solutions)
    {
        var counts = new SortedDictionary<string, (long Lines, long True)>(StringComparer.Ordinal) { ["+"] = (0, 0), ["-"] = (0, 0), ["*"] = (0, 0) };
        foreach (var solution in solutions)
        {
            foreach (var line in ArithmeticFormat.SplitSteps(solution))
            {
                var m = OperationLine().Match(line);
                if (!m.Success)
                {
                    continue;
                }

                var op = m.Groups[2].Value;
                var value = ArithmeticStep.Apply(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), op[0], int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
                var c = counts[op];
                counts[op] = (c.Lines + 1, c.True + (value == int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) ? 1 : 0));
            }
        }

        return new SortedDictionary<string, OperationStats>(counts.ToDictionary(kv => kv.Key, kv => new OperationStats { Lines = kv.Value.Lines, True = kv.Value.True }), StringComparer.Ordinal);
    }

    private static LevelMetrics Metrics(IReadOnlyList<ProblemOutcome> o, IReadOnlyList<string> verifiers, Func<string, double?> auc)
    {
        var n = o[0].Samples.Count;
        double Rate(Func<ProblemOutcome, bool> f) => o.Count(f) / (double)o.Count;
        bool Picked(ProblemOutcome x, int? index) => index is { } i && x.Correct[i];
        List<double> Scores(ProblemOutcome x, string v, StepAggregation a) => x.StepScores[v].Select(s => a.Aggregate(s)).ToList();
        return new LevelMetrics
        {
            Problems = o.Count,
            Greedy = Rate(x => x.GreedyCorrect),
            PassAt1 = o.Average(x => PassAtK.Estimate(n, x.Correct.Count(c => c), 1)),
            PassAtN = Rate(x => x.Correct.Any(c => c)),
            MajorityAtN = Rate(x => Picked(x, AnswerSelection.Majority(x.Answers))),
            Verifiers = new SortedDictionary<string, VerifierMetrics>(verifiers.ToDictionary(v => v, v => new VerifierMetrics
            {
                BestOfNLast = Rate(x => Picked(x, AnswerSelection.Best(x.Answers, Scores(x, v, StepAggregation.Last)))),
                WeightedBestOfNLast = Rate(x => Picked(x, AnswerSelection.Weighted(x.Answers, Scores(x, v, StepAggregation.Last)))),
                BestOfNMin = Rate(x => Picked(x, AnswerSelection.Best(x.Answers, Scores(x, v, StepAggregation.Min)))),
                WeightedBestOfNMin = Rate(x => Picked(x, AnswerSelection.Weighted(x.Answers, Scores(x, v, StepAggregation.Min)))),
                StepAuc = auc(v),
            }), StringComparer.Ordinal),
        };
    }

    /// <summary>ROC-AUC of a verifier's step scores against the oracle step checker, overall and per level.</summary>
    private static (double? All, Dictionary<int, double?> ByLevel) StepAuc(List<ProblemOutcome> outcomes, string? verifier, out int steps, out int mismatches)
    {
        var all = (Scores: new List<double>(), Labels: new List<bool>());
        var byLevel = new Dictionary<int, (List<double> Scores, List<bool> Labels)>();
        mismatches = 0;
        steps = 0;
        if (verifier is null)
        {
            return (null, []);
        }

        foreach (var o in outcomes)
        {
            if (!byLevel.TryGetValue(o.Problem.Level, out var level))
            {
                byLevel[o.Problem.Level] = level = ([], []);
            }

            for (var s = 0; s < o.Samples.Count; s++)
            {
                var verdicts = StepChecker.Check(o.Problem.Problem, o.Samples[s]);
                var scores = o.StepScores[verifier][s];
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

    /// <summary>Markdown: the generator's columns, then per verifier best-of-N and weighted best-of-N.</summary>
    public static string Table(EvaluationReport r)
    {
        var n = r.Samples;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"| level | problems | greedy | pass@1 (T={r.Temperature.ToString(CultureInfo.InvariantCulture)}) | pass@{n} | maj@{n} |");
        foreach (var v in r.VerifierNames)
        {
            sb.Append(CultureInfo.InvariantCulture, $" BoN@{n} {v} | weighted BoN@{n} {v} | step AUC {v} |");
        }

        sb.AppendLine().Append("|---|---|---|---|---|---|").AppendLine(string.Concat(r.VerifierNames.Select(_ => "---|---|---|")));
        foreach (var (level, m) in r.ByLevel.Select(kv => (kv.Key.ToString(CultureInfo.InvariantCulture), kv.Value)).Append(("all", r.Overall)))
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {level} | {m.Problems} | {P(m.Greedy)} | {P(m.PassAt1)} | {P(m.PassAtN)} | {P(m.MajorityAtN)} |");
            foreach (var v in r.VerifierNames)
            {
                var x = m.Verifiers[v];
                sb.Append(CultureInfo.InvariantCulture, $" {P(x.BestOfNLast)} | {P(x.WeightedBestOfNLast)} | {(x.StepAuc is { } a ? a.ToString("F3", CultureInfo.InvariantCulture) : "-")} |");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>Markdown: operation lines by operator, greedy and sampled.</summary>
    public static string OperationTable(EvaluationReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| operator | greedy lines | true | sampled lines (T={r.Temperature.ToString(CultureInfo.InvariantCulture)}) | true |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var op in r.GreedyOperations.Keys)
        {
            var g = r.GreedyOperations[op];
            var s = r.SampledOperations.GetValueOrDefault(op) ?? new OperationStats();
            sb.AppendLine(CultureInfo.InvariantCulture, $"| `{op}` | {g.Lines:N0} | {P(g.Accuracy)} | {s.Lines:N0} | {P(s.Accuracy)} |");
        }

        return sb.ToString();
    }

    public static string P(double? v) => v is { } x ? (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";
}
