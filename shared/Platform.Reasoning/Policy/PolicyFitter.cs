namespace Platform.Reasoning.Policy;

/// <summary>One calibration problem run with one configuration in a sweep.</summary>
/// <param name="Strategy">The strategy with its parameters, e.g. <c>beam-search:M=4</c>.</param>
/// <param name="Budget">The configuration's budget level (its N; 1 for greedy).</param>
/// <param name="Tokens">Generated tokens this problem used under the configuration.</param>
/// <param name="Flops">Its FLOPs (generator and verifier).</param>
public sealed record SweepOutcome(string ProblemId, int Bin, string Strategy, int Budget, bool Correct, double Tokens, double Flops = 0);

/// <summary>What the fit counts as a configuration's cost when it fits a budget and breaks ties.</summary>
public enum PolicyCost
{
    Tokens,
    Flops,
}

/// <summary>The policy's choice for one difficulty bin at one budget.</summary>
/// <param name="Accuracy">The chosen configuration's accuracy on all calibration problems of the bin.</param>
/// <param name="CrossValidatedAccuracy">
/// Two-fold estimate of what choosing this way is worth on unseen problems: the rule picks on one half
/// of the problems and is scored on the other, both ways round (null when a half is empty).
/// </param>
/// <param name="CrossValidatedTokens">Mean tokens per problem of what the rule picked, on the held-out halves.</param>
public sealed record PolicyChoice(
    int Bin, int Budget, string Strategy, int StrategyBudget, double Accuracy, double? CrossValidatedAccuracy, double? CrossValidatedTokens,
    double MeanTokens, int Problems, double MeanFlops = 0);

/// <summary>
/// Fits a compute-optimal policy from a sweep (Snell et al. §3.2): for each difficulty bin and budget,
/// the configuration with the highest accuracy among those that fit the budget: its own budget at
/// most the cell's, or — with token allowances — its mean generated tokens on the bin's problems at
/// most what the budget's N samples cost there, so a configuration that stops early competes at the
/// compute it really spends. Noise guard: any configuration within one standard error of the best counts as
/// tied, and the cheapest of the tied (fewest mean tokens, or FLOPs) is chosen, so a lucky expensive strategy
/// does not win on a handful of problems. The rule is scored by two-fold cross-validation over the
/// problems, as in the paper. With <c>compareUniform</c>, each budget's per-bin rule is also checked
/// against the simplest alternative — one configuration for every bin, chosen the same way on all
/// problems — and the uniform choice is kept where it cross-validates better (or as well, for fewer
/// tokens): with a few dozen problems per bin, per-bin choices can fit noise.
/// </summary>
public static class PolicyFitter
{
    /// <param name="tokenAllowance">
    /// Per (bin, budget): the generated tokens per problem a configuration may spend there (e.g. what N
    /// samples cost on the bin's problems). Null: a configuration fits a budget by its N alone.
    /// </param>
    /// <param name="cost">What an allowance counts, and what "cheapest" means among tied configurations.</param>
    public static IReadOnlyList<PolicyChoice> Fit(IReadOnlyCollection<SweepOutcome> outcomes, IReadOnlyList<int> budgets,
        IReadOnlyDictionary<(int Bin, int Budget), double>? tokenAllowance = null, bool compareUniform = false, PolicyCost cost = PolicyCost.Tokens)
    {
        var costOf = cost == PolicyCost.Flops ? (Func<SweepOutcome, double>)(o => o.Flops) : o => o.Tokens;
        if (budgets.Count == 0 || budgets.Any(b => b < 1))
        {
            throw new ArgumentException("budgets must be one or more levels >= 1", nameof(budgets));
        }

        var choices = new List<PolicyChoice>();
        foreach (var bin in outcomes.Select(o => o.Bin).Distinct().Order())
        {
            var inBin = outcomes.Where(o => o.Bin == bin).ToList();
            foreach (var budget in budgets.Distinct().Order())
            {
                var fitting = Fitting(inBin, bin, budget, tokenAllowance, costOf);
                if (fitting.Count == 0)
                {
                    continue;
                }

                var best = Choose(fitting, costOf);
                var (cvAccuracy, cvTokens) = CrossValidate(fitting, costOf);
                choices.Add(new PolicyChoice(bin, budget, best.Strategy, best.Budget, best.Accuracy, cvAccuracy, cvTokens, best.MeanTokens, best.Problems, best.MeanFlops));
            }
        }

        return compareUniform ? [.. budgets.Distinct().Order().SelectMany(b => UniformIfBetter(outcomes, choices.Where(c => c.Budget == b).ToList(), b, tokenAllowance, costOf))] : choices;
    }

    /// <summary>The outcomes of a bin whose configurations fit a budget: by N, or by their mean tokens there against the allowance.</summary>
    private static List<SweepOutcome> Fitting(List<SweepOutcome> inBin, int bin, int budget, IReadOnlyDictionary<(int Bin, int Budget), double>? tokenAllowance,
        Func<SweepOutcome, double> costOf) =>
        tokenAllowance is null
            ? inBin.Where(o => o.Budget <= budget).ToList()
            : tokenAllowance.TryGetValue((bin, budget), out var allowed)
                ? inBin.GroupBy(o => (o.Strategy, o.Budget)).Where(g => g.Average(costOf) <= allowed * (1 + 1e-9) + 1e-9).SelectMany(g => g).ToList()
                : throw new ArgumentException($"no token allowance for bin {bin} at budget {budget}", nameof(tokenAllowance));

    /// <summary>
    /// One budget's per-bin choices, or — where it cross-validates better, or as well for fewer tokens —
    /// one configuration for every bin: among those that fit the budget in every bin, chosen on all
    /// problems by the same rule (most accurate; cheapest within one standard error).
    /// </summary>
    private static IEnumerable<PolicyChoice> UniformIfBetter(IReadOnlyCollection<SweepOutcome> outcomes, List<PolicyChoice> perBin, int budget,
        IReadOnlyDictionary<(int Bin, int Budget), double>? tokenAllowance, Func<SweepOutcome, double> costOf)
    {
        var bins = perBin.Select(c => c.Bin).ToList();
        if (perBin.Count == 0 || perBin.Any(c => c.CrossValidatedAccuracy is null))
        {
            return perBin;
        }

        // Configurations that fit the budget in every bin.
        var fitsEverywhere = bins.Select(b => Fitting(outcomes.Where(o => o.Bin == b).ToList(), b, budget, tokenAllowance, costOf).Select(o => (o.Strategy, o.Budget)).ToHashSet())
            .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        var pool = outcomes.Where(o => bins.Contains(o.Bin) && fitsEverywhere.Contains((o.Strategy, o.Budget))).ToList();
        if (pool.Count == 0)
        {
            return perBin;
        }

        // Two-fold: chosen on one half of all problems, scored per bin on the other.
        var scored = new Dictionary<int, (int Correct, double Tokens, int Problems)>();
        for (var held = 0; held < 2; held++)
        {
            var train = pool.Where(o => Fold(o.ProblemId) != held).ToList();
            if (train.Count == 0)
            {
                return perBin;
            }

            var pick = Choose(train, costOf);
            foreach (var o in pool.Where(o => Fold(o.ProblemId) == held && o.Strategy == pick.Strategy && o.Budget == pick.Budget))
            {
                var (c, t, n) = scored.GetValueOrDefault(o.Bin);
                scored[o.Bin] = (c + (o.Correct ? 1 : 0), t + o.Tokens, n + 1);
            }
        }

        var problems = perBin.Sum(c => c.Problems);
        var perBinCorrect = perBin.Sum(c => c.CrossValidatedAccuracy!.Value * c.Problems);
        var perBinTokens = perBin.Sum(c => c.CrossValidatedTokens!.Value * c.Problems);
        var (uniformCorrect, uniformTokens) = (scored.Values.Sum(v => v.Correct), scored.Values.Sum(v => v.Tokens));
        if (scored.Values.Sum(v => v.Problems) != problems || uniformCorrect < perBinCorrect - 1e-9 || (uniformCorrect < perBinCorrect + 1e-9 && uniformTokens >= perBinTokens))
        {
            return perBin;
        }

        var uniform = Choose(pool, costOf);
        return bins.Select(b =>
        {
            var rows = pool.Where(o => o.Bin == b && o.Strategy == uniform.Strategy && o.Budget == uniform.Budget).ToList();
            var (c, t, n) = scored.GetValueOrDefault(b);
            return new PolicyChoice(b, budget, uniform.Strategy, uniform.Budget, rows.Average(o => o.Correct ? 1.0 : 0.0), n == 0 ? null : (double)c / n, n == 0 ? null : t / n,
                rows.Average(o => o.Tokens), rows.Count, rows.Average(o => o.Flops));
        });
    }

    /// <summary>Which half of the problems a problem falls in: a stable hash of its id (FNV-1a), so refits agree.</summary>
    public static int Fold(string problemId)
    {
        var hash = 2166136261u;
        foreach (var c in problemId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & 1);
    }

    private sealed record Config(string Strategy, int Budget, double Accuracy, double MeanTokens, int Problems, double MeanFlops, double MeanCost);

    private static Config Choose(IReadOnlyCollection<SweepOutcome> outcomes, Func<SweepOutcome, double> costOf)
    {
        var configs = outcomes.GroupBy(o => (o.Strategy, o.Budget))
            .Select(g => new Config(g.Key.Strategy, g.Key.Budget, g.Average(o => o.Correct ? 1.0 : 0.0), g.Average(o => o.Tokens), g.Count(), g.Average(o => o.Flops), g.Average(costOf)))
            .ToList();
        var top = configs.MaxBy(c => c.Accuracy)!;
        var standardError = Math.Sqrt(top.Accuracy * (1 - top.Accuracy) / top.Problems);
        return configs.Where(c => c.Accuracy >= top.Accuracy - standardError - 1e-12)
            .OrderBy(c => c.MeanCost).ThenByDescending(c => c.Accuracy).ThenBy(c => c.Strategy, StringComparer.Ordinal).ThenBy(c => c.Budget)
            .First();
    }

    private static (double? Accuracy, double? Tokens) CrossValidate(IReadOnlyCollection<SweepOutcome> outcomes, Func<SweepOutcome, double> costOf)
    {
        var halves = new[] { outcomes.Where(o => Fold(o.ProblemId) == 0).ToList(), outcomes.Where(o => Fold(o.ProblemId) == 1).ToList() };
        if (halves.Any(h => h.Count == 0))
        {
            return (null, null);
        }

        double correct = 0, tokens = 0, problems = 0;
        for (var held = 0; held < 2; held++)
        {
            var pick = Choose(halves[1 - held], costOf);
            var scored = halves[held].Where(o => o.Strategy == pick.Strategy && o.Budget == pick.Budget).ToList();
            correct += scored.Count(o => o.Correct);
            tokens += scored.Sum(o => o.Tokens);
            problems += scored.Count;
        }

        return problems == 0 ? (null, null) : (correct / problems, tokens / problems);
    }
}
