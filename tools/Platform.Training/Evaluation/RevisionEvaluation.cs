using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Selection;

namespace Platform.Training.Evaluation;

/// <summary>One attempt index of the revision evaluation: chains after t attempts against t independent samples.</summary>
public sealed record RevisionPoint
{
    /// <summary>Attempts so far (1: the generator's first sample; t: after t - 1 revisions).</summary>
    [JsonPropertyName("attempts")] public int Attempts { get; init; }

    /// <summary>The chain's latest attempt is right.</summary>
    [JsonPropertyName("chain_last")] public double ChainLast { get; init; }

    /// <summary>Majority over the chain's attempts so far.</summary>
    [JsonPropertyName("chain_majority")] public double ChainMajority { get; init; }

    /// <summary>Some attempt of the chain so far is right.</summary>
    [JsonPropertyName("chain_any")] public double ChainAny { get; init; }

    /// <summary>Of chains whose previous attempt was right, the share whose attempt t is wrong (a right answer turned wrong).</summary>
    [JsonPropertyName("right_to_wrong")] public double? RightToWrong { get; init; }

    /// <summary>Of chains whose previous attempt was wrong, the share whose attempt t is right.</summary>
    [JsonPropertyName("wrong_to_right")] public double? WrongToRight { get; init; }

    /// <summary>The same number of independent generator samples: one sample right (mean), majority, any right.</summary>
    [JsonPropertyName("parallel_single")] public double ParallelSingle { get; init; }

    [JsonPropertyName("parallel_majority")] public double ParallelMajority { get; init; }
    [JsonPropertyName("parallel_any")] public double ParallelAny { get; init; }
}

public sealed record RevisionReport
{
    [JsonPropertyName("generator")] public string Generator { get; init; } = "";
    [JsonPropertyName("reviser")] public string Reviser { get; init; } = "";
    [JsonPropertyName("problems")] public int Problems { get; init; }
    [JsonPropertyName("chains_per_problem")] public int ChainsPerProblem { get; init; }
    [JsonPropertyName("length")] public int Length { get; init; }
    [JsonPropertyName("temperature")] public double Temperature { get; init; }
    [JsonPropertyName("seed")] public ulong Seed { get; init; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }
    [JsonPropertyName("points")] public List<RevisionPoint> Points { get; init; } = [];

    /// <summary>Latest-attempt accuracy by level (1..6), at the first attempt and at the last.</summary>
    [JsonPropertyName("by_level")] public SortedDictionary<int, double[]> ByLevel { get; init; } = [];
}

/// <summary>
/// Measures a revision model the way the paper does: chains that start from a generator sample and are
/// revised L - 1 times (the last <c>max_attempts</c> attempts in context), against as many independent
/// generator samples — per attempt count, the latest attempt's accuracy, majority and any-right over the
/// attempts so far, and how often a revision turns a right answer wrong (and a wrong one right).
/// </summary>
public static class RevisionEvaluation
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static RevisionReport Run(DecoderSession generator, DecoderSession reviser, IReadOnlyList<ArithmeticRecord> problems, int chains, int length,
        double temperature, ulong seed, int maxNewTokens, Action<int>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var gold = problems.Select(p => p.Answer).ToList();

        // attempts[p][c][t] and parallel[p][c][t]: answers.
        var attempts = problems.Select(_ => Enumerable.Range(0, chains).Select(_ => new List<string>()).ToList()).ToList();
        var answers = problems.Select(_ => Enumerable.Range(0, chains).Select(_ => new List<string?>()).ToList()).ToList();
        var parallel = new List<List<List<string?>>>();
        const int chunk = 64;
        for (var start = 0; start < problems.Count; start += chunk)
        {
            var part = Enumerable.Range(start, Math.Min(chunk, problems.Count - start)).ToList();

            // Independent samples: L per chain; the first of each is also the chain's first attempt.
            var sampled = generator.Generate(part.Select(p => new GenerationRequest
            {
                Prompt = ArithmeticFormat.Prompt(problems[p].Problem), Samples = chains * length,
                Sampling = new SamplingOptions { Temperature = temperature, Seed = seed * 1_000_003UL + (ulong)p, MaxNewTokens = maxNewTokens },
            }).ToList());
            foreach (var (p, result) in part.Zip(sampled))
            {
                var texts = result.Samples.Select(s => s.Text).ToList();
                parallel.Add(Enumerable.Range(0, chains).Select(c => texts.Skip(c * length).Take(length).Select(ArithmeticFormat.ExtractAnswer).ToList()).ToList());
                for (var c = 0; c < chains; c++)
                {
                    attempts[p][c].Add(texts[c * length]);
                    answers[p][c].Add(ArithmeticFormat.ExtractAnswer(texts[c * length]));
                }
            }

            for (var t = 1; t < length; t++)
            {
                var keys = part.SelectMany(p => Enumerable.Range(0, chains).Select(c => (p, c))).ToList();
                var revised = reviser.Generate(keys.Select(k => new GenerationRequest
                {
                    Prompt = RevisionPrompt.Build(reviser, problems[k.p].Problem, attempts[k.p][k.c], maxNewTokens),
                    SharedPrefix = ArithmeticFormat.Prompt(problems[k.p].Problem),
                    Sampling = new SamplingOptions { Temperature = temperature, Seed = seed * 7_919UL + (ulong)(k.p * 131 + k.c * 17 + t * 1_000_003), MaxNewTokens = maxNewTokens },
                }).ToList());
                foreach (var (k, result) in keys.Zip(revised))
                {
                    var text = result.Samples[0].Text;
                    attempts[k.p][k.c].Add(text);
                    answers[k.p][k.c].Add(ArithmeticFormat.ExtractAnswer(text));
                }
            }

            progress?.Invoke(start + part.Count);
        }

        bool Right(int p, string? a) => a == gold[p];
        double Share(Func<int, int, bool> f) => Enumerable.Range(0, problems.Count).Average(p => Enumerable.Range(0, chains).Average(c => f(p, c) ? 1.0 : 0.0));
        bool MajorityRight(int p, IReadOnlyList<string?> xs) => AnswerSelection.Majority(xs) is { } i && Right(p, xs[i]);
        double? Transition(int t, bool fromRight)
        {
            var from = 0;
            var changed = 0;
            for (var p = 0; p < problems.Count; p++)
            {
                for (var c = 0; c < chains; c++)
                {
                    if (Right(p, answers[p][c][t - 1]) != fromRight)
                    {
                        continue;
                    }

                    from++;
                    changed += Right(p, answers[p][c][t]) != fromRight ? 1 : 0;
                }
            }

            return from == 0 ? null : (double)changed / from;
        }

        var points = Enumerable.Range(1, length).Select(t => new RevisionPoint
        {
            Attempts = t,
            ChainLast = Share((p, c) => Right(p, answers[p][c][t - 1])),
            ChainMajority = Share((p, c) => MajorityRight(p, answers[p][c].Take(t).ToList())),
            ChainAny = Share((p, c) => answers[p][c].Take(t).Any(a => Right(p, a))),
            RightToWrong = t > 1 ? Transition(t - 1, fromRight: true) : null,
            WrongToRight = t > 1 ? Transition(t - 1, fromRight: false) : null,
            ParallelSingle = Enumerable.Range(0, problems.Count)
                .Average(p => Enumerable.Range(0, chains).Average(c => parallel[p][c].Take(t).Average(a => Right(p, a) ? 1.0 : 0.0))),
            ParallelMajority = Share((p, c) => MajorityRight(p, parallel[p][c].Take(t).ToList())),
            ParallelAny = Share((p, c) => parallel[p][c].Take(t).Any(a => Right(p, a))),
        }).ToList();

        var byLevel = new SortedDictionary<int, double[]>();
        foreach (var level in problems.Select(p => p.Level).Distinct())
        {
            var ps = Enumerable.Range(0, problems.Count).Where(p => problems[p].Level == level).ToList();
            double At(int t) => ps.Average(p => Enumerable.Range(0, chains).Average(c => Right(p, answers[p][c][t]) ? 1.0 : 0.0));
            byLevel[level] = [At(0), At(length - 1)];
        }

        return new RevisionReport
        {
            Generator = generator.Model.Name, Reviser = reviser.Model.Name, Problems = problems.Count, ChainsPerProblem = chains, Length = length,
            Temperature = temperature, Seed = seed, WallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1), Points = points, ByLevel = byLevel,
        };
    }

    public static string Table(RevisionReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"{r.Problems} held-out problems x {r.ChainsPerProblem} chains, T={r.Temperature}, seed {r.Seed}; chain: a {r.Generator} sample, then {r.Reviser} revisions; parallel: independent {r.Generator} samples"));
        sb.AppendLine();
        sb.AppendLine("| attempts (revisions) | chain: latest right | chain: majority | chain: any right | right → wrong | wrong → right | parallel: one sample | parallel: majority | parallel: any right |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        static string P(double? x) => x is { } v ? string.Create(Inv, $"{100 * v:F1}%") : "–";
        foreach (var p in r.Points)
        {
            sb.AppendLine($"| {p.Attempts} ({p.Attempts - 1}) | {P(p.ChainLast)} | {P(p.ChainMajority)} | {P(p.ChainAny)} | {P(p.RightToWrong)} | {P(p.WrongToRight)} | {P(p.ParallelSingle)} | {P(p.ParallelMajority)} | {P(p.ParallelAny)} |");
        }

        return sb.ToString();
    }
}
