using System.Globalization;
using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;

namespace Platform.Operations.Sweeps;

/// <summary>
/// The grid of a calibration sweep (Snell et al. §3.2, benchmarks/search.sh and revisions.sh): greedy,
/// and at each budget N best-of-N, majority, weighted best-of-N, beam search with M = √N and M = 4,
/// lookahead (k = 1), DVTS and sequential revisions at the ratios N/2:2, √N:√N and 1:N (1:N only up to 16), and the
/// confidence-aware cells: confidence voting, DeepConf online, and majority and weighted best-of-N stopped early.
/// </summary>
public static class SweepGrid
{
    /// <summary>A cell of the grid: its name (also its files' names), strategy, N and the strategy's parameters.</summary>
    public sealed record Cell(string Name, string Strategy, int N, int? BeamWidth = null, int? Lookahead = null, int? Chains = null, int? ChainLength = null, string? EarlyStop = null,
        string? Confidence = null)
    {
        /// <summary>The cell as <c>ttc eval</c> options.</summary>
        public string[] Args
        {
            get
            {
                static string S(int x) => x.ToString(CultureInfo.InvariantCulture);
                var args = new List<string> { "--strategy", Strategy };
                if (Strategy != Strategies.Greedy)
                {
                    args.AddRange(["--n", S(N)]);
                }

                if (BeamWidth is { } m)
                {
                    args.AddRange(["--beam-width", S(m)]);
                }

                if (Lookahead is { } k)
                {
                    args.AddRange(["--lookahead", S(k)]);
                }

                if (Chains is { } p && ChainLength is { } l)
                {
                    args.AddRange(["--chains", S(p), "--chain-length", S(l)]);
                }

                if (EarlyStop is { } stop)
                {
                    args.AddRange(["--early-stop", stop]);
                }

                if (Confidence is { } confidence)
                {
                    args.AddRange(["--confidence", confidence]);
                }

                return [.. args];
            }
        }

        /// <summary>The cell as a batch of <paramref name="problems"/> for the services.</summary>
        public SubmitBatch ToBatch(Guid batchId, string name, IReadOnlyList<ProblemSubmission> problems, int seed, DateTimeOffset now) => new()
        {
            BatchId = batchId, Name = name, Source = "sweep", Problems = problems, Strategy = Strategy, N = Strategy == Strategies.Greedy ? null : N,
            BeamWidth = BeamWidth, Lookahead = Lookahead, Chains = Chains, ChainLength = ChainLength, EarlyStop = EarlyStop, Confidence = Confidence, Seed = seed, SubmittedAt = now,
            Submitter = Platform.Reasoning.Scheduling.SubmitterNames.Sweep, Priority = Platform.Reasoning.Scheduling.PriorityClasses.Sweep,
        };
    }

    /// <summary>The cells for the given budgets, limited to <paramref name="strategies"/> when given.</summary>
    public static List<Cell> Cells(IReadOnlyList<int> budgets, IReadOnlySet<string>? strategies)
    {
        var cells = new List<Cell> { new("greedy-1", Strategies.Greedy, 1) };
        foreach (var n in budgets)
        {
            var s = ControllerRegistry.DefaultWidth(n);
            cells.Add(new($"bon-{n}", Strategies.BestOfN, n));
            cells.Add(new($"majority-{n}", Strategies.SelfConsistency, n));
            cells.Add(new($"weighted-bon-{n}", Strategies.WeightedBestOfN, n));
            cells.Add(new($"beam-sqrt-{n}", Strategies.BeamSearch, n));
            if (n >= 4 && n % 4 == 0 && s != 4)
            {
                cells.Add(new($"beam-m4-{n}", Strategies.BeamSearch, n, BeamWidth: 4));
            }

            cells.Add(new($"lookahead1-{n}", Strategies.Lookahead, n, Lookahead: 1));
            cells.Add(new($"dvts-{n}", Strategies.Dvts, n));
            foreach (var p in new[] { n / 2, s, 1 }.Distinct().Where(p => p >= 1 && n % p == 0 && (p > 1 || n <= 16)))
            {
                cells.Add(new($"revisions-p{p}-{n}", Strategies.SequentialRevisions, n, Chains: p, ChainLength: n / p));
            }

            // Confidence-aware cells (issue 32): DeepConf offline and online, and Adaptive-Consistency stopping for voting and weighted best-of-N.
            cells.Add(new($"confidence-vote-{n}", Strategies.ConfidenceVote, n, Confidence: "measure=lowest-group,keep=50,window=8"));
            if (n >= 8)
            {
                cells.Add(new($"deepconf-{n}", Strategies.DeepConf, n, Confidence: "keep=90,window=8"));
                cells.Add(new($"majority-stop-{n}", Strategies.SelfConsistency, n, EarlyStop: new EarlyStop { Rule = EarlyStop.BetaRule, Wave = 4 }.Spec));
                cells.Add(new($"weighted-bon-stop-{n}", Strategies.WeightedBestOfN, n,
                    EarlyStop: new EarlyStop { Wave = 2, Weight = 1.5, Share = 0.8, GiveUpAfter = Math.Max(4, n / 4), GiveUpWeight = 3 }.Spec));
                cells.Add(new($"weighted-bon-beta-{n}", Strategies.WeightedBestOfN, n, EarlyStop: new EarlyStop { Rule = EarlyStop.BetaRule, Wave = 4 }.Spec));
            }

            if (n >= 8 && n % 2 == 0)
            {
                // N/2 chains of two, started one at a time and stopped once settled (or given up on after half of them).
                var stop = new EarlyStop { GiveUpAfter = n / 4, GiveUpWeight = 0.5 };
                cells.Add(new($"revisions-p{n / 2}-{n}-stop", Strategies.SequentialRevisions, n, Chains: n / 2, ChainLength: 2, EarlyStop: stop.Spec));
            }
        }

        return strategies is null ? cells : cells.Where(c => strategies.Contains(c.Strategy)).ToList();
    }

    /// <summary>Budget levels from "4,16,64"; the error names <paramref name="field"/>.</summary>
    public static List<int> ParseBudgets(string text, string field)
    {
        var levels = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 1024)
            {
                throw new FormatException($"{field} must be integers within 1..1024 separated by commas (was '{text}')");
            }

            levels.Add(n);
        }

        return levels.Count > 0 ? levels : throw new FormatException($"{field} must name at least one budget (was '{text}')");
    }

    /// <summary>Strategy names from "a,b"; null for none (the whole grid).</summary>
    public static HashSet<string>? ParseStrategies(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
}
