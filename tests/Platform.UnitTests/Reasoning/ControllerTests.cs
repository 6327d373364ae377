using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;

namespace Platform.UnitTests.Reasoning;

/// <summary>
/// Every strategy as a controller, driven by scripted Generator and Verifier replies the way the
/// Aggregator drives it: start, answer each request, store the state after each round.
/// </summary>
public sealed class ControllerTests
{
    private static IReadOnlyList<IReadOnlyList<double>> S(string s) =>
        s.Split(';').Select(c => (IReadOnlyList<double>)c.Split('/').Select(double.Parse).ToList()).ToList();

    /// <summary>Whole solutions whose answer lines are the given answers ("_": no answer).</summary>
    private static List<Continuation> Solutions(string answers) =>
        answers.Split(',').Select((a, i) => new Continuation("", i, a == "_" ? "1+1=2\n" : $"1+1=2\nA: {a}\n", 8, a == "_" ? "length" : "eos")).ToList();

    [Theory]
    // strategy, aggregation, answers, per-candidate step scores (steps separated by /), expected index
    [InlineData("greedy", "last", "5", null, 0)]
    [InlineData("greedy", "last", "_", null, 0)]
    [InlineData("budget-forcing", "last", "5", null, 0)]
    [InlineData("self-consistency", "last", "1,2,2", null, 1)]
    [InlineData("self-consistency", "last", "_,_", null, 0)]
    [InlineData("best-of-n", "last", "1,2,2", "0.9/0.8;0.9/0.7;0.2/0.75", 0)]
    [InlineData("best-of-n", "min", "1,2,2", "0.9/0.1;0.5/0.5;0.2/0.9", 1)]
    [InlineData("best-of-n", "prod", "1,2", "0.95/0.9;0.5/0.99", 0)]
    [InlineData("best-of-n", "last", "1,2", "0.95/0.9;0.5/0.99", 1)]
    [InlineData("best-of-n", "mean", "1,2", "0.9/0.1;0.6/0.6", 1)]
    [InlineData("weighted-best-of-n", "last", "1,2,2", "0.9/0.8;0.9/0.5;0.2/0.5", 1)]
    [InlineData("weighted-best-of-n", "min", "1,2,2", "0.9/0.8;0.9/0.3;0.2/0.4", 0)]
    [InlineData("weighted-best-of-n", "last", "_,3", "0.9/0.99;0.1/0.01", 1)]
    public void Sampling_strategies_pick_per_their_rule(string strategy, string aggregation, string answers, string? scores, int expected)
    {
        var n = answers.Split(',').Length;
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = strategy, N = n, Aggregation = aggregation });
        var sample = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal(n, sample.Samples);
        Assert.Equal(strategy is "greedy" or "budget-forcing" ? 0 : 0.8, sample.Temperature);
        Assert.Equal(strategy == "budget-forcing", sample.BudgetForcing);
        var next = controller.OnGenerated(Solutions(answers));
        Assert.Equal(n, controller.Created.Count);
        if (scores is not null)
        {
            var score = Assert.IsType<ScoreTexts>(next);
            Assert.Equal(controller.Created, score.Items.Select(i => i.Key));
            next = controller.OnScored(score.Items.Select((item, i) => (item.Key, S(scores)[i])).ToDictionary(x => x.Key, x => x.Item2));
            Assert.Equal(controller.Nodes.Keys.Where(k => k != "").Order(), controller.Updated.Order());
        }

        var finish = Assert.IsType<FinishRun>(next);
        Assert.Equal($"n{expected}", finish.Node);
        Assert.Equal(answers.Split(',')[expected] is var a && a != "_" ? a : null, finish.Answer);
    }

    /// <summary>
    /// A scripted world: every step the Generator writes is "k+1=k+1" at depth k, and a path ends with
    /// an answer at depth 3 or after 2 steps of a rollout; the verifier gives higher scores to keys
    /// with larger numbers. Deterministic, so two drives of the same controller must agree.
    /// </summary>
    private static ControllerRequest Answer(StrategyController c, ControllerRequest request) => request is ScoreTexts t
        ? c.OnScored(t.Items.ToDictionary(i => i.Key, i => (IReadOnlyList<double>)[0.5, 1.0 / (1 + i.Key.Length) + i.Text.Length % 7 / 10.0]))
        : c.OnGenerated(Generated(c, request));

    /// <summary>What the scripted Generator writes for a generation request.</summary>
    internal static List<Continuation> Generated(StrategyController c, ControllerRequest request) => request switch
    {
        SampleSolutions s => Enumerable.Range(0, s.Samples).Select(i => new Continuation("", i, $"1+1=2\nA: {i % 3}\n", 10, "eos")).ToList(),
        ExpandNodes e => e.Nodes.SelectMany(node => Enumerable.Range(0, e.Samples).Select(i =>
        {
            var depth = c.Nodes[node].Depth;
            var text = depth >= 2 ? $"A: {(node.Length + i) % 4}\n" : $"{depth}+{i}={depth + i}\n";
            var rollout = e.RolloutSteps > 0 && depth < 2 ? $"9+9=18\nA: {node.Length % 3}\n" : null;
            return new Continuation(node, i, text, text.Length, depth >= 2 ? "eos" : "step", Rollout: rollout);
        })).ToList(),
        RollOut r => r.Nodes.Select(node => new Continuation(node, 0, $"9+9=18\nA: {node.Length % 3}\n", 12, "eos")).ToList(),
        ReviseChains v => v.Chains.Select(chain => new Continuation(chain.Key, 0, $"2+2=4\nA: {(chain.Key.Length + chain.Attempts.Count) % 3}\n", 10, "eos")).ToList(),
        _ => throw new InvalidOperationException(request.ToString()),
    };

    private static (FinishRun Finish, List<string> Kinds) Drive(StrategyPlan settings, bool restartEveryRound)
    {
        var controller = ControllerRegistry.Create(settings);
        var request = controller.Start();
        var kinds = new List<string>();
        var created = new HashSet<string>();
        for (var round = 0; round < 500 && request is not FinishRun; round++)
        {
            kinds.Add(request.Kind);
            if (restartEveryRound)
            {
                // What the Aggregator does: save with the round, load when the reply comes.
                controller = ControllerRegistry.Load(ControllerRegistry.Save(controller));
            }

            request = Answer(controller, request);
            foreach (var key in controller.Created)
            {
                Assert.True(created.Add(key), $"node {key} reported as created twice");
                Assert.True(controller.Nodes.ContainsKey(key));
            }

            Assert.All(controller.Updated, key => Assert.NotNull(controller.Nodes[key].Score));
        }

        return (Assert.IsType<FinishRun>(request), kinds);
    }

    public static TheoryData<string> Every() => [.. ControllerRegistry.Names];

    [Theory]
    [MemberData(nameof(Every))]
    public void Every_strategy_runs_to_an_answer_and_resumes_identically_after_a_restart_in_any_round(string strategy)
    {
        var settings = new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = strategy, N = 4, Probes = strategy == Strategies.ComputeOptimal ? 2 : 0, PolicyJson = strategy == Strategies.ComputeOptimal ? PolicyJson(4) : null };
        var straight = Drive(settings, restartEveryRound: false);
        var resumed = Drive(settings, restartEveryRound: true);
        Assert.NotNull(straight.Finish.Node);
        Assert.Equal(straight.Finish, resumed.Finish);
        Assert.Equal(straight.Kinds, resumed.Kinds);
        Assert.Equal(Strategies.UsesVerifier(strategy), straight.Kinds.Any(RequestKinds.IsScoring));
    }

    [Fact]
    public void Every_known_strategy_has_a_controller()
    {
        Assert.Equal(Strategies.All.Order(), ControllerRegistry.Names.Order());
    }

    [Fact]
    public void A_probe_phase_hands_its_scored_candidates_to_the_strategy_that_follows()
    {
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "weighted-best-of-n", N = 6, Probes = 4 });
        Assert.IsType<ProbeThen>(controller);
        var probe = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal((4, RequestKinds.Probe), (probe.Samples, probe.Kind));

        var score = Assert.IsType<ScoreTexts>(controller.OnGenerated(Solutions("7,8,8,9")));
        Assert.Equal(RequestKinds.ProbeScore, score.Kind);
        Assert.Equal(["n0", "n1", "n2", "n3"], controller.Created);

        // After the probes are scored the strategy starts: it only samples what N still lacks.
        var more = Assert.IsType<SampleSolutions>(controller.OnScored(new Dictionary<string, IReadOnlyList<double>>
        {
            ["n0"] = [0.9], ["n1"] = [0.2], ["n2"] = [0.2], ["n3"] = [0.1],
        }));
        Assert.Equal((2, RequestKinds.Generate), (more.Samples, more.Kind));
        Assert.Equal(["n0", "n1", "n2", "n3"], controller.Updated); // the probe scores are still reported once

        var state = ControllerRegistry.Save(controller);
        controller = ControllerRegistry.Load(state);
        var rescore = Assert.IsType<ScoreTexts>(controller.OnGenerated(Solutions("8,9")));
        Assert.Equal(["n4", "n5"], rescore.Items.Select(i => i.Key)); // new keys; the probes are not scored again
        var finish = Assert.IsType<FinishRun>(controller.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n4"] = [0.3], ["n5"] = [0.95] }));

        // Pool of six: 7 (0.9), 8 (0.2 + 0.2 + 0.3 = 0.7), 9 (0.1 + 0.95 = 1.05): the probes' votes count.
        Assert.Equal("9", finish.Answer);
        Assert.Equal("n3", finish.Node);
        var composed = Assert.IsType<ProbeThen>(controller);
        Assert.Equal("weighted-best-of-n", composed.Chosen);
        Assert.Equal(6, controller.Nodes.Count(n => n.Key != ""));
    }

    /// <summary>The fitted policy's rule at budget <paramref name="n"/> as a plan carries it.</summary>
    internal static string PolicyJson(int n) =>
        System.Text.Json.JsonSerializer.Serialize(Policy().FollowUp(n), Platform.Reasoning.Policy.ComputeOptimalPolicy.Compact);

    /// <summary>A small fitted policy: two probes; sure probes (bin 1-2) keep their own pick, unsure ones (3-5) get a beam search.</summary>
    internal static Platform.Reasoning.Policy.ComputeOptimalPolicy Policy() => new()
    {
        Generator = "gen-small", Verifier = "prm", Probes = 2, Bounds = [0.9, 0.7, 0.5, 0.2],
        Budgets =
        [
            new() { Budget = 4, Bins = [.. new[] { "weighted-best-of-n", "weighted-best-of-n", "beam-search", "beam-search", "dvts" }.Select(x => new Platform.Reasoning.Policy.PolicyStep { Strategy = x, N = x == "weighted-best-of-n" ? 2 : 4 })] },
        ],
    };

    [Theory]
    // a policy step's early stop and confidence settings, as specs: the plan a bin's follow-up is made from carries them unchanged
    [InlineData("rule=beta,wave=4,level=0.9", null)]
    [InlineData("rule=weight,wave=2,weight=1.5,share=0.6,give-up-after=8,give-up-weight=0.25", "keep=50,window=8,top-k=5")]
    [InlineData(null, "keep=10,window=2048,warmup=4")]
    public void A_policy_bins_plan_carries_its_steps_settings_exactly(string? stop, string? confidence)
    {
        var step = new Platform.Reasoning.Policy.PolicyStep
        {
            Strategy = Strategies.ConfidenceVote, N = 8, EarlyStop = stop is null ? null : EarlyStop.Parse(stop),
            Confidence = confidence is null ? null : Platform.Reasoning.Confidence.ConfidenceSettings.Parse(confidence),
        };
        var policy = Policy() with { Budgets = [new() { Budget = 8, Bins = [step, step, step, step, step] }] };
        var json = System.Text.Json.JsonSerializer.Serialize(policy.FollowUp(8), Platform.Reasoning.Policy.ComputeOptimalPolicy.Compact);
        var plan = System.Text.Json.JsonSerializer.Deserialize<Platform.Reasoning.Policy.PolicyFollowUp>(json, Platform.Reasoning.Policy.ComputeOptimalPolicy.Json)!.ByBin[2];

        Assert.Equal((Strategies.ConfidenceVote, 8), (plan.Strategy, plan.N));
        Assert.Equal(step.EarlyStop, ControllerRegistry.StopOf(plan));
        Assert.Equal(step.Confidence ?? new Platform.Reasoning.Confidence.ConfidenceSettings(), ControllerRegistry.ConfidenceOf(plan));
        Assert.IsType<SampleAndSelect>(ControllerRegistry.Create(plan));
    }

    [Theory]
    // probe scores (last step), expected predicted bin, strategy that follows, whether new samples are drawn
    [InlineData(0.95, 0.99, 1, "weighted-best-of-n", false)]
    [InlineData(0.8, 0.7, 2, "weighted-best-of-n", false)]
    [InlineData(0.6, 0.5, 3, "beam-search", true)]
    [InlineData(0.1, 0.0, 5, "dvts", true)]
    public void Compute_optimal_reads_difficulty_from_its_probes_and_follows_the_policy(double first, double second, int bin, string strategy, bool more)
    {
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = Strategies.ComputeOptimal, N = 4, Probes = 2, PolicyJson = PolicyJson(4) });
        var probe = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal((2, RequestKinds.Probe), (probe.Samples, probe.Kind));
        var score = Assert.IsType<ScoreTexts>(controller.OnGenerated(Solutions("4,5")));
        var next = controller.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [first], ["n1"] = [second] });

        var composed = Assert.IsType<ProbeThen>(ControllerRegistry.Load(ControllerRegistry.Save(controller)));
        Assert.Equal(bin, composed.PredictedBin);
        Assert.Equal((first + second) / 2, composed.ProbeScore!.Value, 9);
        Assert.Equal((bin, composed.ProbeScore.Value), composed.PredictedDifficulty); // what the driver records with the run
        Assert.Null(composed.First.PredictedDifficulty);
        Assert.Equal(strategy, composed.Chosen);
        Assert.Contains($"predicted bin {bin}", composed.Reason);
        if (more)
        {
            Assert.IsNotType<FinishRun>(next); // a search follows
        }
        else
        {
            // The probes were enough: their weighted pick answers, no sample drawn twice.
            var finish = Assert.IsType<FinishRun>(next);
            Assert.Equal(first >= second ? "4" : "5", finish.Answer);
        }
    }

    /// <summary>
    /// Five bins a fifth each, 100 probe tokens per problem. At budgets 4/16/64 (tokens after the probes):
    /// bins 1-2 are solved by the probes; bin 3 gains a little from 16; bin 4 a lot from 16 and a little
    /// more from 64; bin 5 is hopeless.
    /// </summary>
    private static Platform.Reasoning.Policy.ComputeOptimalPolicy Priced()
    {
        Platform.Reasoning.Policy.PolicyStep S(string strategy, int n, double tokens, double accuracy) => new() { Strategy = strategy, N = n, Tokens = tokens, Accuracy = accuracy };
        return Policy() with
        {
            Probes = 4, ProbeTokens = 100, BinShares = [0.2, 0.2, 0.2, 0.2, 0.2],
            Budgets =
            [
                new() { Budget = 4, Bins = [S("best-of-n", 4, 0, 1), S("best-of-n", 4, 0, 0.9), S("best-of-n", 4, 0, 0.6), S("best-of-n", 4, 0, 0.3), S("best-of-n", 4, 0, 0)] },
                new() { Budget = 16, Bins = [S("best-of-n", 4, 0, 1), S("best-of-n", 4, 0, 0.9), S("weighted-best-of-n", 16, 300, 0.65), S("beam-search", 16, 600, 0.6), S("beam-search", 16, 600, 0)] },
                new() { Budget = 64, Bins = [S("best-of-n", 4, 0, 1), S("best-of-n", 4, 0, 0.9), S("weighted-best-of-n", 64, 1200, 0.66), S("beam-search", 64, 2400, 0.7), S("beam-search", 64, 2400, 0.01)] },
            ],
        };
    }

    [Theory]
    // tokens per problem -> strategy per bin: the probes only, then bin 4's big gain, then bin 3's, then bin 4 at 64
    [InlineData(100, "best-of-n@4 best-of-n@4 best-of-n@4 best-of-n@4 best-of-n@4")]
    [InlineData(220, "best-of-n@4 best-of-n@4 best-of-n@4 beam-search@16 best-of-n@4")]       // 0.2 x 600 = 120 fits
    [InlineData(280, "best-of-n@4 best-of-n@4 weighted-best-of-n@16 beam-search@16 best-of-n@4")] // + 0.2 x 300 = 60
    [InlineData(600, "best-of-n@4 best-of-n@4 weighted-best-of-n@64 beam-search@16 best-of-n@4")]  // 320 left: bin 4 to 64 (360) does not fit, bin 3 to 64 (180) does
    [InlineData(1000, "best-of-n@4 best-of-n@4 weighted-best-of-n@64 beam-search@64 best-of-n@4")] // + bin 3 to 64 (180); the hopeless bin 5 (480 for 0.2 points) does not fit
    [InlineData(2000, "best-of-n@4 best-of-n@4 weighted-best-of-n@64 beam-search@64 beam-search@64")] // everything that gains anything
    public void A_token_budget_goes_to_the_bins_where_a_token_buys_the_most(double tokensPerProblem, string expected)
    {
        var rule = Priced().FollowUpForTokens(tokensPerProblem);
        Assert.Equal(expected, string.Join(' ', rule.ByBin.Select(s => $"{s.Strategy}@{s.N}")));
        Assert.Equal(tokensPerProblem, rule.TokenBudget);
        var spent = 100 + rule.ByBin.Select((s, i) => 0.2 * Priced().Budgets.SelectMany(c => c.Bins.Select(b => (c, b))).First(x => x.c.Bins[i] == x.b && x.b.Strategy == s.Strategy && x.b.N == s.N).b.Tokens).Sum();
        Assert.True(spent <= tokensPerProblem + 1e-9, $"expected spend {spent} over the budget {tokensPerProblem}");
    }

    [Theory]
    [InlineData(100)]
    [InlineData(280)]
    [InlineData(600)]
    [InlineData(2000)]
    public void A_FLOPs_budget_is_split_like_a_token_budget_over_the_steps_FLOPs(double tokensPerProblem)
    {
        // FLOPs proportional to tokens (x 2e6): the same split at the proportional budget.
        var priced = Priced();
        var inFlops = priced with
        {
            ProbeFlops = priced.ProbeTokens * 2e6,
            Budgets = [.. priced.Budgets.Select(c => c with { Bins = [.. c.Bins.Select(b => b with { Flops = b.Tokens * 2e6 })] })],
        };
        var byTokens = priced.FollowUpForTokens(tokensPerProblem);
        var byFlops = inFlops.FollowUpFor(Platform.Reasoning.Policy.BudgetUnit.Flops, tokensPerProblem * 2e6);
        Assert.Equal(byTokens.ByBin.Select(s => (s.Strategy, s.N)), byFlops.ByBin.Select(s => (s.Strategy, s.N)));
        Assert.Equal((null, tokensPerProblem * 2e6), (byFlops.TokenBudget, byFlops.FlopBudget));
        Assert.Contains("FLOPs per problem", byFlops.Choose([]).Reason);
    }

    [Fact]
    public void A_token_budget_below_the_probes_or_a_policy_without_costs_is_refused()
    {
        Assert.Contains("below the probes' 100 tokens", Assert.Throws<ArgumentOutOfRangeException>(() => Priced().FollowUpForTokens(50)).Message);
        Assert.Throws<InvalidDataException>(() => Policy().FollowUpForTokens(1000)); // fitted before costs were recorded
        Assert.Contains("no FLOPs costs", Assert.Throws<InvalidDataException>(() => Priced().FollowUpFor(Platform.Reasoning.Policy.BudgetUnit.Flops, 1e12)).Message);
        Assert.Contains("below the probes' 1.00e+08 FLOPs", Assert.Throws<ArgumentOutOfRangeException>(() =>
            (Priced() with { ProbeFlops = 1e8, Budgets = [.. Priced().Budgets.Select(c => c with { Bins = [.. c.Bins.Select(b => b with { Flops = b.Tokens * 1e6 })] })] })
                .FollowUpFor(Platform.Reasoning.Policy.BudgetUnit.Flops, 5e7)).Message);
    }

    [Fact]
    public void A_policy_file_picks_the_largest_budget_it_was_fitted_for_and_refuses_what_it_cannot_serve()
    {
        var policy = Policy() with
        {
            Budgets = [.. new[] { 4, 16, 64 }.Select(b => new Platform.Reasoning.Policy.PolicyColumn { Budget = b, Bins = Policy().Budgets[0].Bins })],
        };
        var parsed = Platform.Reasoning.Policy.ComputeOptimalPolicy.Parse(policy.ToJson());
        Assert.Equal([4, 16, 16, 64, 64], new[] { 4, 16, 20, 64, 1000 }.Select(n => parsed.Column(n).Budget));
        Assert.Equal(16, parsed.FollowUp(40).Budget);
        Assert.Contains("smallest budget", Assert.Throws<ArgumentException>(() => parsed.Column(3)).Message);
        Assert.Throws<InvalidDataException>(() => Platform.Reasoning.Policy.ComputeOptimalPolicy.Parse((policy with { Bounds = [0.5] }).ToJson()));
        Assert.Throws<InvalidDataException>(() => Platform.Reasoning.Policy.ComputeOptimalPolicy.Parse((policy with { Probes = 8 }).ToJson())); // a budget below the probes
        Assert.Contains("fitted policy", Assert.Throws<ArgumentException>(() => ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = Strategies.ComputeOptimal, N = 4 })).Message);
    }

    [Fact]
    public void A_search_after_probes_counts_the_probes_among_its_finished_solutions()
    {
        var (finish, kinds) = Drive(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "beam-search", N = 4, Probes = 2 }, restartEveryRound: true);
        Assert.Equal([RequestKinds.Probe, RequestKinds.ProbeScore, RequestKinds.Expand], kinds.Take(3));
        Assert.NotNull(finish.Node);
    }

    [Fact]
    public void Greedy_after_probes_answers_with_its_own_sample()
    {
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "greedy", Probes = 2 });
        controller.Start();
        controller.OnGenerated(Solutions("1,2"));
        var greedy = Assert.IsType<SampleSolutions>(controller.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [0.9], ["n1"] = [0.9] }));
        Assert.Equal((1, 0.0), (greedy.Samples, greedy.Temperature));
        var finish = Assert.IsType<FinishRun>(controller.OnGenerated(Solutions("3")));
        Assert.Equal(("n2", "3"), (finish.Node, finish.Answer));
    }
}
