using Platform.Reasoning.Planning;
using Platform.Reasoning.Policy;

namespace Platform.Operations.Sweeps;

/// <summary>What a policy is fitted with: which configuration gives the oracle bins and (optionally) the probes, and the budget levels.</summary>
public sealed record SweepFitSettings
{
    /// <summary>The configuration whose samples give each problem's pass@1 (64 or more samples), e.g. <c>majority-64</c>.</summary>
    public string Oracle { get; init; } = "majority-64";

    /// <summary>The configuration of k verifier-scored samples per problem (e.g. <c>weighted-bon-4</c>): difficulty is predicted from their mean score.</summary>
    public string? Probes { get; init; }

    /// <summary>What the probes' difficulty is read from: their verifier scores or their confidence (both are measured against the oracle bins when the probes carry both).</summary>
    public ProbeSignal ProbeSignal { get; init; } = ProbeSignal.Score;

    /// <summary>With probes: bin bounds taken from a shipped policy instead of fitted (to measure its bins on other problems).</summary>
    public double[]? Bounds { get; init; }

    /// <summary>Without probes: a policy for problems submitted with their difficulty bin, fitted on oracle bins.</summary>
    public bool KnownDifficulty { get; init; }

    public IReadOnlyList<int> Budgets { get; init; } = [1, 4, 16, 64];
    public string Generator { get; init; } = "gen-small";
    public string Verifier { get; init; } = "prm";

    /// <summary>
    /// How a configuration fits a budget N: "samples" (its N at most the budget's), "tokens" or "flops" (its
    /// mean generated tokens, or FLOPs, on a bin's problems at most what N samples of weighted best-of-N cost
    /// there, so configurations that stop early compete at what they spend; among tied ones the cheapest in
    /// that unit is chosen).
    /// </summary>
    public string BudgetBy { get; init; } = "samples";

    /// <summary>Keep one configuration for every bin at a budget where it cross-validates better than the per-bin choices (<see cref="PolicyFitter"/>).</summary>
    public bool CompareUniform { get; init; }

    /// <summary>Strategies left out of the fit.</summary>
    public IReadOnlySet<string> Excluded { get; init; } = new HashSet<string>();
}

/// <summary>One budget of the compute-optimal curve, scored on held-out halves, with the baselines as run.</summary>
public sealed record CurvePoint(int Budget, double Accuracy, double Tokens, double? WeightedAccuracy, double? WeightedTokens, double? MajorityAccuracy, double? MajorityTokens);

/// <summary>The fit: the choices per bin and budget, the curve, how well probes predict oracle bins, the policy the Router follows, and every configuration's outcomes as run (with each problem's bin).</summary>
/// <param name="Agreement">How often the predicted bins (from the signal the policy uses) equal the oracle bins, exactly and within one.</param>
/// <param name="Signals">The same agreement for every signal the probes carry (verifier score, confidence), each with its bounds fitted the same way: which predicts better.</param>
public sealed record SweepFitResult(
    IReadOnlyList<PolicyChoice> Choices, IReadOnlyList<CurvePoint> Curve, IReadOnlyList<string> Configurations, int Problems, int OracleSamples,
    int ProbeCount, (double Exact, double Near, int Problems)? Agreement, ComputeOptimalPolicy? Policy, IReadOnlyList<SweepOutcome> Measured,
    IReadOnlyList<(ProbeSignal Signal, double Exact, double Near)>? Signals = null);

/// <summary>
/// Fits a compute-optimal policy from a sweep's configurations (one <see cref="SweepRuns"/> each, the
/// same problems): oracle difficulty bins from the many-sample configuration's pass@1; with probes,
/// predicted bins from their mean score (bounds fitted to the oracle bins); per bin and budget the best
/// configuration by 2-fold cross-validation (<see cref="PolicyFitter"/>). <c>ttc policy fit</c> and the
/// Router's nightly policy-fit job both fit through here.
/// </summary>
public static class SweepFit
{
    public static SweepFitResult Fit(IReadOnlyList<SweepRuns> configurations, SweepFitSettings settings)
    {
        var oracle = configurations.FirstOrDefault(c => c.Name == settings.Oracle)
            ?? throw new ArgumentException($"the oracle configuration '{settings.Oracle}' is not among the sweep's ({string.Join(", ", configurations.Select(c => c.Name))})");
        if (settings.KnownDifficulty && settings.Probes is not null)
        {
            throw new ArgumentException("known difficulty fits on oracle bins; probes fit on predicted ones: give one");
        }

        var passAt1 = oracle.PassAt1();
        if (passAt1.Count == 0)
        {
            throw new ArgumentException($"the oracle configuration '{settings.Oracle}' has no samples");
        }

        var texts = passAt1.Keys.ToList();
        var bins = texts.Zip(DifficultyBins.Oracle([.. texts.Select(t => passAt1[t].Rate)])).ToDictionary(p => p.First, p => p.Second);
        double[]? predictedBounds = null;
        var (probeTokens, probeFlops, probeCount) = (0.0, 0.0, 0);
        (double, double, int)? agreement = null;
        var signals = new List<(ProbeSignal, double, double)>();
        if (settings.Probes is { } probeName)
        {
            var probes = configurations.FirstOrDefault(c => c.Name == probeName)
                ?? throw new ArgumentException($"the probe configuration '{probeName}' is not among the sweep's");
            if (settings.ProbeSignal == ProbeSignal.Confidence && !probes.HasConfidence)
            {
                throw new ArgumentException($"the probe configuration '{probeName}' has samples without confidence (run with a Generator that reports log-probabilities)");
            }

            // Every signal the probes carry is measured against the oracle bins, each with bounds fitted the same way.
            foreach (var signal in new[] { ProbeSignal.Score, ProbeSignal.Confidence }.Where(s => s == ProbeSignal.Score ? probes.HasScores : probes.HasConfidence))
            {
                var byText = probes.ProbeScores(signal);
                var common = texts.Where(byText.ContainsKey).ToList();
                var fitted = DifficultyBins.FitPredictor([.. common.Select(t => byText[t].Mean)], [.. common.Select(t => bins[t])]);
                var (e, n) = DifficultyBins.Agreement([.. common.Select(t => DifficultyBins.Assign(byText[t].Mean, fitted))], [.. common.Select(t => bins[t])]);
                signals.Add((signal, e, n));
            }

            var scores = probes.ProbeScores(settings.ProbeSignal);
            probeTokens = scores.Values.Average(v => v.Tokens);
            probeFlops = scores.Values.Average(v => v.Flops);
            probeCount = scores.Values.Min(v => v.Count);
            var known = texts.Where(scores.ContainsKey).ToList();
            predictedBounds = settings.Bounds ?? DifficultyBins.FitPredictor([.. known.Select(t => scores[t].Mean)], [.. known.Select(t => bins[t])]);
            var predicted = known.ToDictionary(t => t, t => DifficultyBins.Assign(scores[t].Mean, predictedBounds));
            var (exact, near) = DifficultyBins.Agreement([.. known.Select(t => predicted[t])], [.. known.Select(t => bins[t])]);
            agreement = (exact, near, known.Count);
            bins = predicted; // the policy is fitted on the bins it will see when it routes
        }

        var outcomes = new List<SweepOutcome>();
        var configs = new List<(SweepRuns Runs, string Name, string Key, int N)>();
        var steps = new Dictionary<(string, int), PolicyStep>();
        var measured = new List<SweepOutcome>(); // as run, for the baselines
        foreach (var configuration in configurations.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var rows = configuration.Outcomes(settings.Generator, settings.Verifier, bins);
            if (rows.Count > 0 && (settings.Excluded.Contains(rows[0].Strategy.Split(':')[0]) || rows[0].Strategy == Strategies.ComputeOptimal))
            {
                continue; // left out, or a routed run (not one configuration)
            }

            if (rows.Count == 0 || configs.Any(c => c.Key == rows[0].Strategy && c.N == rows[0].Budget))
            {
                continue; // another generator or verifier, or the same configuration twice (beam M=√N and M=4 at N=16)
            }

            configs.Add((configuration, configuration.Name, rows[0].Strategy, rows[0].Budget));
            steps[(rows[0].Strategy, rows[0].Budget)] = configuration.Step();
            measured.AddRange(rows);
            outcomes.AddRange(AfterProbes(rows, probeCount));
        }

        // Smaller N of the sampling strategies by subsampling their largest run (as search-and-learn
        // does), where no run of that N exists: the first k samples of each problem, picked by the same rule.
        foreach (var config in configs.Where(c => IsSampling(c.Key)).ToList())
        {
            foreach (var k in settings.Budgets.Where(k => k < config.N && !configs.Any(c => c.Key == config.Key && c.N == k)))
            {
                var rows = config.Runs.Subsample(config.Key, k, bins);
                configs.Add((config.Runs, $"{config.Name} (first {k})", config.Key, k));
                steps[(config.Key, k)] = steps[(config.Key, config.N)] with { N = k };
                measured.AddRange(rows);
                outcomes.AddRange(AfterProbes(rows, probeCount));
            }
        }

        var choices = PolicyFitter.Fit(outcomes, settings.Budgets, settings.BudgetBy switch
        {
            "samples" => null,
            "tokens" => SampleCost(outcomes, settings.Budgets, o => o.Tokens),
            "flops" => SampleCost(outcomes, settings.Budgets, o => o.Flops),
            _ => throw new ArgumentException($"budget-by must be 'samples', 'tokens' or 'flops' (was '{settings.BudgetBy}')"),
        }, settings.CompareUniform, settings.BudgetBy == "flops" ? PolicyCost.Flops : PolicyCost.Tokens);
        var curve = new List<CurvePoint>();
        foreach (var n in settings.Budgets)
        {
            var cells = choices.Where(c => c.Budget == n && c.CrossValidatedAccuracy is not null).ToList();
            var problems = Math.Max(1, cells.Sum(c => c.Problems));
            curve.Add(new CurvePoint(n, cells.Sum(c => c.CrossValidatedAccuracy!.Value * c.Problems) / problems, cells.Sum(c => c.CrossValidatedTokens!.Value * c.Problems) / problems,
                Accuracy(measured, Strategies.WeightedBestOfN, n), Tokens(measured, Strategies.WeightedBestOfN, n),
                Accuracy(measured, Strategies.SelfConsistency, n), Tokens(measured, Strategies.SelfConsistency, n)));
        }

        ComputeOptimalPolicy? policy = null;
        if (predictedBounds is not null || settings.KnownDifficulty)
        {
            // What the Router routes by: bounds on the probes' mean score, and per budget a step per bin.
            policy = new ComputeOptimalPolicy
            {
                Generator = settings.Generator, Verifier = settings.Verifier, Probes = probeCount, Bounds = predictedBounds ?? [], ProbeSignal = settings.ProbeSignal,
                ProbeTokens = probeTokens, ProbeFlops = probeFlops,
                BinShares = [.. Enumerable.Range(1, DifficultyBins.Count).Select(b => (double)bins.Values.Count(x => x == b) / bins.Count)],
                Budgets = [.. settings.Budgets.Where(n => n >= probeCount).Select(n => new PolicyColumn
                {
                    Budget = n,
                    Bins = [.. Enumerable.Range(1, DifficultyBins.Count).Select(bin =>
                        choices.FirstOrDefault(c => c.Bin == bin && c.Budget == n) is { } c
                            ? steps[(c.Strategy, c.StrategyBudget)] with { Tokens = c.MeanTokens, Flops = c.MeanFlops, Accuracy = c.CrossValidatedAccuracy ?? c.Accuracy }
                        : probeCount > 0 ? new PolicyStep { Strategy = Strategies.WeightedBestOfN, N = probeCount } // a bin no calibration problem fell in: the probes decide
                        : new PolicyStep { Strategy = Strategies.Greedy, N = 1 })],
                })],
            };
            policy.Validate();
        }

        return new SweepFitResult(choices, curve, [.. configs.Select(c => c.Name)], texts.Count, passAt1.Values.Min(v => v.Samples), probeCount, agreement, policy, measured,
            signals.Count > 0 ? signals : null);
    }

    private static bool IsSampling(string strategy) => strategy is Strategies.SelfConsistency or Strategies.BestOfN or Strategies.WeightedBestOfN;

    /// <summary>
    /// What a configuration costs after the probes: a sampling strategy draws only what it lacks (the
    /// probes join its pool), so its tokens are the share of its samples beyond them; anything else runs whole.
    /// </summary>
    private static IEnumerable<SweepOutcome> AfterProbes(List<SweepOutcome> rows, int probes) =>
        probes == 0 || !IsSampling(rows[0].Strategy) ? rows
            : rows.Select(r => r with { Tokens = r.Tokens * Math.Max(0.0, r.Budget - probes) / r.Budget, Flops = r.Flops * Math.Max(0.0, r.Budget - probes) / r.Budget });

    /// <summary>Per bin and budget N: the mean cost per problem (generated tokens or FLOPs, after the probes) of N samples of weighted best-of-N there.</summary>
    private static Dictionary<(int Bin, int Budget), double> SampleCost(List<SweepOutcome> outcomes, IReadOnlyList<int> budgets, Func<SweepOutcome, double> cost)
    {
        var allowance = new Dictionary<(int, int), double>();
        foreach (var bin in outcomes.Select(o => o.Bin).Distinct())
        {
            foreach (var n in budgets)
            {
                var rows = outcomes.Where(o => o.Bin == bin && o.Strategy == Strategies.WeightedBestOfN && o.Budget == n).ToList();
                allowance[(bin, n)] = rows.Count > 0 ? rows.Average(cost)
                    : throw new ArgumentException($"token and FLOPs budgets need weighted-best-of-n samples of N = {n} (or more) in the sweep");
            }
        }

        return allowance;
    }

    private static double? Accuracy(List<SweepOutcome> outcomes, string strategy, int n)
    {
        var rows = outcomes.Where(o => o.Strategy == strategy && o.Budget == n).ToList();
        return rows.Count == 0 ? null : (double)rows.Count(o => o.Correct) / rows.Count;
    }

    private static double? Tokens(List<SweepOutcome> outcomes, string strategy, int n)
    {
        var rows = outcomes.Where(o => o.Strategy == strategy && o.Budget == n).ToList();
        return rows.Count == 0 ? null : rows.Average(o => o.Tokens);
    }
}
