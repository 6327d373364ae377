using Platform.Reasoning.Policy;

namespace Platform.UnitTests.Reasoning;

public sealed class PolicyTests
{
    private static double[] D(string values) => [.. values.Split(',').Select(double.Parse)];

    private static int[] I(string values) => [.. values.Split(',').Select(int.Parse)];

    [Theory]
    [InlineData("0.9,0.7,0.5,0.3,0.1", "1,2,3,4,5")]                      // one problem per bin, easiest first
    [InlineData("0.1,0.3,0.5,0.7,0.9", "5,4,3,2,1")]                      // order of input does not matter
    [InlineData("1,1,1,1,1,1,0.5,0.2,0,0", "1,1,1,1,1,1,4,4,5,5")]        // ties share a bin, leaving bins empty
    [InlineData("0.95,0.9,0.85,0.8,0.6,0.55,0.3,0.25,0.05,0", "1,1,2,2,3,3,4,4,5,5")]
    public void Oracle_bins_are_quantiles_of_pass_at_1(string passAt1, string expected)
    {
        Assert.Equal(I(expected), DifficultyBins.Oracle(D(passAt1)));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("NaN")]
    public void Oracle_bins_refuse_a_pass_rate_outside_0_to_1(string passAt1)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DifficultyBins.Oracle(D(passAt1)));
        Assert.Contains("pass@1", e.Message);
    }

    [Theory]
    // Predictor ranks perfectly: thresholds reproduce the oracle bins exactly.
    [InlineData("0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.2,0.1,0.0", "1,1,2,2,3,3,4,4,5,5", "1,1,2,2,3,3,4,4,5,5")]
    // Same proportions, bins follow the predictor's ranking, not the oracle's labels.
    [InlineData("0.0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", "1,1,2,2,3,3,4,4,5,5", "5,5,4,4,3,3,2,2,1,1")]
    // Uneven oracle bins: four easy problems, then one per bin.
    [InlineData("0.99,0.98,0.97,0.96,0.6,0.5,0.4,0.3", "1,1,1,1,2,3,4,5", "1,1,1,1,2,3,4,5")]
    public void Predictor_thresholds_keep_the_oracle_proportions(string scores, string oracle, string expected)
    {
        var bounds = DifficultyBins.FitPredictor(D(scores), I(oracle));
        Assert.Equal(I(expected), D(scores).Select(s => DifficultyBins.Assign(s, bounds)).ToArray());
    }

    [Theory]
    [InlineData("1,2,3,4,5", "1,2,3,4,5", 1.0, 1.0)]
    [InlineData("1,2,3,4,5", "2,3,4,5,5", 0.2, 1.0)]
    [InlineData("1,1,1,1", "1,3,5,2", 0.25, 0.5)]
    public void Agreement_exact_and_within_one(string predicted, string oracle, double exact, double withinOne)
    {
        var (e, w) = DifficultyBins.Agreement(I(predicted), I(oracle));
        Assert.Equal(exact, e, 6);
        Assert.Equal(withinOne, w, 6);
    }

    /// <summary>problems "p0".."p{n-1}" in one bin; <paramref name="correct"/> of them right (the first ones).</summary>
    private static IEnumerable<SweepOutcome> Config(string strategy, int budget, int n, int correct, double tokens, int bin = 1) =>
        Enumerable.Range(0, n).Select(i => new SweepOutcome($"p{i}", bin, strategy, budget, i < correct, tokens));

    [Fact]
    public void The_policy_takes_the_most_accurate_configuration_that_fits_each_budget()
    {
        var outcomes = Config("greedy", 1, 100, 50, 60)
            .Concat(Config("weighted-best-of-n", 4, 100, 70, 240))
            .Concat(Config("beam-search:M=4", 16, 100, 90, 900))
            .Concat(Config("weighted-best-of-n", 16, 100, 75, 960)).ToList();
        var policy = PolicyFitter.Fit(outcomes, [1, 4, 16]);
        Assert.Equal(["greedy", "weighted-best-of-n", "beam-search:M=4"], policy.Select(c => c.Strategy));
        Assert.Equal([1, 4, 16], policy.Select(c => c.StrategyBudget));
        Assert.Equal([0.5, 0.7, 0.9], policy.Select(c => c.Accuracy));
        Assert.All(policy, c => Assert.Equal(100, c.Problems));
    }

    [Theory]
    // Within one standard error of the best (sqrt(.8*.2/100) = 0.04): the cheaper configuration wins.
    [InlineData(80, 78, "cheap")]
    // Clearly worse: the accurate one wins despite its cost.
    [InlineData(80, 70, "dear")]
    public void A_configuration_tied_within_noise_loses_to_a_cheaper_one(int dearCorrect, int cheapCorrect, string expected)
    {
        var outcomes = Config("dear", 16, 100, dearCorrect, 1000).Concat(Config("cheap", 16, 100, cheapCorrect, 200)).ToList();
        Assert.Equal(expected, PolicyFitter.Fit(outcomes, [16]).Single().Strategy);
    }

    [Fact]
    public void Bins_are_fitted_apart_and_the_cross_validated_accuracy_is_reported()
    {
        var outcomes = Config("greedy", 1, 200, 190, 50, bin: 1)
            .Concat(Config("majority", 4, 200, 150, 200, bin: 1))
            .Concat(Config("greedy", 1, 200, 20, 50, bin: 5))
            .Concat(Config("majority", 4, 200, 100, 200, bin: 5)).ToList();
        var policy = PolicyFitter.Fit(outcomes, [4]);
        Assert.Equal("greedy", policy.Single(c => c.Bin == 1).Strategy);
        Assert.Equal("majority", policy.Single(c => c.Bin == 5).Strategy);
        // Every problem of a configuration shares its outcome pattern across folds here, so the
        // held-out accuracy is the same strategy's accuracy, measured on the other half each time.
        Assert.InRange(policy.Single(c => c.Bin == 5).CrossValidatedAccuracy!.Value, 0.3, 0.7);
    }

    [Theory]
    // Budget 16 by samples: only configurations of N <= 16 fit; by tokens, whatever spends within the allowance.
    [InlineData(null, "weighted-best-of-n")]
    [InlineData(900.0, "revisions-stop")]
    [InlineData(299.0, "")] // nothing is that cheap: no choice for the bin
    public void With_token_allowances_a_configuration_fits_a_budget_by_what_it_spends(double? allowance, string expected)
    {
        var outcomes = Config("revisions-stop", 64, 100, 90, 300).Concat(Config("weighted-best-of-n", 16, 100, 80, 900)).ToList();
        var policy = PolicyFitter.Fit(outcomes, [16], allowance is { } a ? new Dictionary<(int, int), double> { [(1, 16)] = a } : null);
        Assert.Equal(expected, policy.SingleOrDefault()?.Strategy ?? "");
    }

    [Theory]
    // A verifier-heavy configuration is cheap in tokens and dear in FLOPs; a voting one the other way round. Tied in accuracy,
    // the cheaper in the fit's unit wins; a FLOPs allowance leaves out what spends more FLOPs than it.
    [InlineData(PolicyCost.Tokens, null, "weighted")]
    [InlineData(PolicyCost.Flops, null, "voting")]
    [InlineData(PolicyCost.Flops, 5e9, "voting")]
    [InlineData(PolicyCost.Flops, 1e9, "")]
    public void With_FLOPs_the_fit_counts_and_breaks_ties_by_FLOPs(PolicyCost cost, double? allowance, string expected)
    {
        static IEnumerable<SweepOutcome> Costed(string strategy, double tokens, double flops) =>
            Config(strategy, 16, 100, 80, tokens).Select(o => o with { Flops = flops });
        var outcomes = Costed("weighted", 300, 8e9).Concat(Costed("voting", 900, 2e9)).ToList();
        var policy = PolicyFitter.Fit(outcomes, [16], allowance is { } a ? new Dictionary<(int, int), double> { [(1, 16)] = a } : null, cost: cost);
        Assert.Equal(expected, policy.SingleOrDefault()?.Strategy ?? "");
    }

    /// <summary>Problems of a bin ("b{bin}-{i}") whose outcome under a configuration is right where <paramref name="right"/> says, given the problem's fold.</summary>
    private static IEnumerable<SweepOutcome> ByFold(string strategy, int bin, int n, Func<int, int, bool> right, double tokens = 100) =>
        Enumerable.Range(0, n).Select(i => $"b{bin}-{i}").Select((id, i) => new SweepOutcome(id, bin, strategy, 16, right(PolicyFitter.Fold(id), i), tokens));

    [Fact]
    public void One_configuration_for_every_bin_replaces_per_bin_choices_that_fit_noise()
    {
        // "steady" is right on 7 of 10 problems in both bins. "lucky" is right on every fold-0 problem of
        // bin 1 and wrong elsewhere: chosen for bin 1 on fold 0, it fails on fold 1.
        var outcomes = ByFold("steady", 1, 60, (_, i) => i % 10 < 7).Concat(ByFold("steady", 2, 60, (_, i) => i % 10 < 7))
            .Concat(ByFold("lucky", 1, 60, (fold, _) => fold == 0)).Concat(ByFold("lucky", 2, 60, (_, _) => false)).ToList();
        var perBin = PolicyFitter.Fit(outcomes, [16]);
        var guarded = PolicyFitter.Fit(outcomes, [16], compareUniform: true);
        Assert.All(guarded, c => Assert.Equal("steady", c.Strategy));
        var Cv = (IReadOnlyList<PolicyChoice> p) => p.Sum(c => c.CrossValidatedAccuracy!.Value * c.Problems) / p.Sum(c => c.Problems);
        Assert.True(Cv(guarded) > Cv(perBin), $"uniform {Cv(guarded)} against per bin {Cv(perBin)}");
    }

    [Fact]
    public void Per_bin_choices_stay_where_the_bins_really_differ()
    {
        var outcomes = ByFold("easy-rule", 1, 40, (_, _) => true).Concat(ByFold("easy-rule", 2, 40, (_, _) => false))
            .Concat(ByFold("hard-rule", 1, 40, (_, _) => false)).Concat(ByFold("hard-rule", 2, 40, (_, _) => true)).ToList();
        var policy = PolicyFitter.Fit(outcomes, [16], compareUniform: true);
        Assert.Equal(["easy-rule", "hard-rule"], policy.OrderBy(c => c.Bin).Select(c => c.Strategy));
        Assert.All(policy, c => Assert.Equal(1.0, c.CrossValidatedAccuracy));
    }

    [Fact]
    public void Folds_split_problems_roughly_in_half_and_stably()
    {
        var folds = Enumerable.Range(0, 1000).Select(i => PolicyFitter.Fold($"problem-{i}")).ToList();
        Assert.InRange(folds.Count(f => f == 0), 400, 600);
        Assert.Equal(folds, Enumerable.Range(0, 1000).Select(i => PolicyFitter.Fold($"problem-{i}")));
    }

    private static IReadOnlyList<BudgetLevel> Curve(string tokensAndAccuracy) =>
        [.. tokensAndAccuracy.Split(' ').Select((p, i) => { var x = p.Split(':'); return new BudgetLevel(i, double.Parse(x[0]), double.Parse(x[1])); })];

    [Theory]
    [InlineData("10:0.5 20:0.6 40:0.8", "0,2")]          // 20 lies under the line from 10 to 40
    [InlineData("10:0.5 20:0.7 40:0.8", "0,1,2")]        // concave already
    [InlineData("10:0.5 20:0.7 40:0.6 80:0.7", "0,1")]   // nothing past the most accurate level
    [InlineData("10:0.9 20:0.9 40:0.9", "0")]            // flat: never worth more tokens
    public void Upper_hull_of_a_curve(string curve, string expected)
    {
        Assert.Equal(I(expected), WaterFilling.UpperHull(Curve(curve)));
    }

    [Theory]
    // easy bin 1 gains little, hard bin 2 gains a lot per token: the hard problems get upgraded first.
    [InlineData("1,2", 20, "0,0")]
    [InlineData("1,2", 110, "0,1")]
    [InlineData("1,2", 200, "1,1")]
    [InlineData("1,1,2,2", 220, "0,0,1,1")]
    // hopeless bin 3 (no gain) gets nothing however large the budget
    [InlineData("3,2", 1000, "0,1")]
    public void Water_filling_buys_the_best_gain_per_token_first(string bins, double total, string expected)
    {
        var curves = new Dictionary<int, IReadOnlyList<BudgetLevel>>
        {
            [1] = Curve("10:0.90 100:0.92"),
            [2] = Curve("10:0.20 100:0.80"),
            [3] = Curve("10:0.00 100:0.00"),
        };
        Assert.Equal(I(expected), WaterFilling.Allocate(I(bins), curves, total));
    }

    [Fact]
    public void Water_filling_skips_a_level_under_the_hull_and_never_overspends()
    {
        var curves = new Dictionary<int, IReadOnlyList<BudgetLevel>> { [1] = Curve("10:0.2 20:0.25 40:0.8 160:0.9") };
        var bins = Enumerable.Repeat(1, 10).ToArray();
        var chosen = WaterFilling.Allocate(bins, curves, 250);
        Assert.DoesNotContain(1, chosen);                            // 20 tokens lies under the hull: skipped
        Assert.True(chosen.Sum(c => curves[1][c].Cost) <= 250);
        Assert.Equal(5, chosen.Count(c => c == 2));                  // 10 x 10 paid, 150 left: five 30-token upgrades
        Assert.Equal(5, chosen.Count(c => c == 0));
        Assert.Equal(Enumerable.Repeat(2, 10), WaterFilling.Allocate(bins, curves, 500)); // 100 left < 120 for the top level
    }

    [Fact]
    public void A_total_below_the_cheapest_levels_is_refused_with_the_minimum()
    {
        var curves = new Dictionary<int, IReadOnlyList<BudgetLevel>> { [1] = Curve("10:0.5 20:0.6") };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => WaterFilling.Allocate([1, 1, 1], curves, 25));
        Assert.Contains("30", e.Message);
        Assert.Throws<ArgumentException>(() => WaterFilling.Allocate([4], curves, 100));
    }
}
