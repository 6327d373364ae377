using System.Text.Json;
using Platform.Contracts;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Policy;
using Platform.Router;
using Platform.Router.Planning;

namespace Platform.UnitTests;

/// <summary>The Router plans compute-optimal runs from a fitted policy file, or rejects the batch naming why.</summary>
public sealed class ComputeOptimalPlanningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-policy").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PolicyFile()
    {
        var bins = new[] { "weighted-best-of-n", "weighted-best-of-n", "best-of-n", "beam-search", "dvts" }
            .Select(s => new PolicyStep { Strategy = s, N = s == "weighted-best-of-n" ? 4 : 16, Tokens = s == "weighted-best-of-n" ? 0 : 500, Flops = s == "weighted-best-of-n" ? 0 : 5e9, Accuracy = s == "dvts" ? 0.1 : 0.7 }).ToList();
        var policy = new ComputeOptimalPolicy
        {
            Version = 3, Generator = "gen-small", Verifier = "prm", Probes = 4, Bounds = [0.99, 0.9, 0.5, 0.01], ProbeTokens = 150, ProbeFlops = 2e9, BinShares = [0.2, 0.2, 0.2, 0.2, 0.2],
            Budgets = [new() { Budget = 4, Bins = [.. bins.Select(b => b with { N = 4, Tokens = 0, Accuracy = 0.1 })] }, new() { Budget = 16, Bins = bins }],
        };
        var path = Path.Combine(_dir, "policy.json");
        File.WriteAllText(path, policy.ToJson());
        return path;
    }

    private static SubmitBatch Batch(int? n) => new()
    {
        BatchId = Guid.NewGuid(), Strategy = "compute-optimal", N = n,
        Problems = [new ProblemSubmission { Text = "12+30", ReferenceAnswer = "42" }, new ProblemSubmission { Text = "(3+4)*5-6", ReferenceAnswer = "29" }],
    };

    [Theory]
    [InlineData(null, 16)]  // no N: the default budget
    [InlineData(16, 16)]
    [InlineData(40, 16)]    // the largest fitted budget not above N
    [InlineData(4, 4)]
    public void Runs_carry_the_policy_rule_for_their_budget_and_probe_first(int? n, int budget)
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = PolicyFile() }, TimeProvider.System);
        var decision = planner.Plan(Batch(n));
        Assert.Null(decision.Rejection);
        Assert.All(decision.Runs, r =>
        {
            var plan = r.Plan!;
            Assert.Equal(("compute-optimal", budget, 4, 0.8), (plan.Strategy, plan.N, plan.Probes, plan.Temperature));
            var rule = JsonSerializer.Deserialize<PolicyFollowUp>(plan.PolicyJson!, ComputeOptimalPolicy.Json)!;
            Assert.Equal((3, budget, 5), (rule.Version, rule.Budget, rule.ByBin.Count));
            Assert.Equal([0.99, 0.9, 0.5, 0.01], rule.Bounds);
        });
    }

    [Fact]
    public void Without_a_policy_file_the_batch_is_rejected_naming_the_setting()
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = Path.Combine(_dir, "missing.json") }, TimeProvider.System);
        var rejection = planner.Plan(Batch(16)).Rejection;
        Assert.NotNull(rejection);
        Assert.Equal("Strategy", rejection.Field);
        Assert.Contains("Router:PolicyFile", rejection.Reason);
    }

    [Fact]
    public void A_budget_below_the_policy_smallest_is_rejected_naming_N()
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = PolicyFile() }, TimeProvider.System);
        var rejection = planner.Plan(Batch(2)).Rejection;
        Assert.Equal("N", rejection?.Field);
        Assert.Contains("smallest budget is 4", rejection!.Reason);
    }

    [Theory]
    // a batch that names no strategy: with a policy, compute-optimal unless its N is below the policy's budgets
    [InlineData(true, null, "compute-optimal")]
    [InlineData(true, 16, "compute-optimal")]
    [InlineData(true, 1, "greedy")]
    [InlineData(false, null, null)] // no policy: the built-in rule by heuristic bins
    public void A_batch_without_a_strategy_is_routed_by_the_fitted_policy_when_there_is_one(bool withPolicy, int? n, string? expected)
    {
        var options = new RouterOptions { PolicyFile = withPolicy ? PolicyFile() : Path.Combine(_dir, "missing.json") };
        var batch = Batch(n) with { Strategy = null };
        var decision = new BatchPlanner(options, TimeProvider.System).Plan(batch);
        Assert.Null(decision.Rejection);
        if (expected is null)
        {
            Assert.All(decision.Runs, r => Assert.NotEqual("compute-optimal", r.Plan!.Strategy));
            Assert.All(decision.Runs, r => Assert.Equal("heuristic", r.Run.DifficultySource));
        }
        else
        {
            Assert.All(decision.Runs, r => Assert.Equal(expected, r.Plan!.Strategy));
        }
    }

    [Fact]
    public void A_total_token_budget_is_split_by_the_policy_or_refused_naming_the_field()
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = PolicyFile() }, TimeProvider.System);

        // 2 problems x 400 tokens: 250 per problem after the probes buys the bins whose step gains the most per token.
        var decision = planner.Plan(Batch(null) with { TokenBudget = 800 });
        Assert.Null(decision.Rejection);
        var rule = JsonSerializer.Deserialize<PolicyFollowUp>(decision.Runs[0].Plan!.PolicyJson!, ComputeOptimalPolicy.Json)!;
        Assert.Equal(400, rule.TokenBudget);
        Assert.Equal("compute-optimal", decision.Runs[0].Plan!.Strategy);

        Assert.Equal("TokenBudget", planner.Plan(Batch(null) with { TokenBudget = 100 }).Rejection?.Field);    // 50 per problem: below the probes
        Assert.Equal("TokenBudget", planner.Plan(Batch(null) with { Strategy = "weighted-best-of-n", TokenBudget = 10_000 }).Rejection?.Field);
        Assert.Contains("below the probes", planner.Plan(Batch(null) with { TokenBudget = 100 }).Rejection!.Reason);
    }

    [Theory]
    // unit, scope, amount, expected FLOPs or tokens per problem in the rule
    [InlineData("flops", "problem", 4e9, 4e9)]
    [InlineData("flops", "batch", 8e9, 4e9)]      // two problems
    [InlineData("tokens", "problem", 400, 400)]
    public void A_budget_in_tokens_or_FLOPs_for_the_batch_or_per_problem_is_spent_by_the_policy(string unit, string scope, double amount, double perProblem)
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = PolicyFile() }, TimeProvider.System);
        var decision = planner.Plan(Batch(null) with { Budget = new ComputeBudget { Amount = amount, Unit = unit, Scope = scope } });
        Assert.Null(decision.Rejection);
        var rule = JsonSerializer.Deserialize<PolicyFollowUp>(decision.Runs[0].Plan!.PolicyJson!, ComputeOptimalPolicy.Json)!;
        Assert.Equal(perProblem, unit == "flops" ? rule.FlopBudget : rule.TokenBudget);
    }

    [Theory]
    [InlineData("flops", "problem", 1e9, "below the probes")]   // the probes alone cost 2e9
    [InlineData("joules", "problem", 1e9, "unit 'tokens' or 'flops'")]
    [InlineData("tokens", "run", 1e3, "scope 'batch' or 'problem'")]
    [InlineData("tokens", "batch", 0, "amount >= 1")]
    public void A_bad_budget_is_refused_naming_the_field(string unit, string scope, double amount, string reason)
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = PolicyFile() }, TimeProvider.System);
        var rejection = planner.Plan(Batch(null) with { Budget = new ComputeBudget { Amount = amount, Unit = unit, Scope = scope } }).Rejection;
        Assert.Equal("Budget", rejection?.Field);
        Assert.Contains(reason, rejection!.Reason);
        Assert.Equal("Budget", planner.Plan(Batch(null) with { TokenBudget = 1000, Budget = new ComputeBudget { Amount = 1000 } }).Rejection?.Field);
    }

    [Fact]
    public void Problems_with_a_known_bin_run_the_policys_step_for_it_without_probes()
    {
        // A policy fitted for known difficulty (no probes, no bounds), and the shipped kind (probes): a known bin wins in both.
        var withProbes = ComputeOptimalPolicy.Parse(File.ReadAllText(PolicyFile()));
        var oracle = withProbes with { Probes = 0, Bounds = [], ProbeTokens = 0, ProbeFlops = 0 };
        // Bin 4's step stops early and reads confidence its own way: a known bin's plan carries both.
        oracle = oracle with
        {
            Budgets = [.. oracle.Budgets.Select(c => c with
            {
                Bins = [.. c.Bins.Select((step, i) => i == 3 ? step with { EarlyStop = EarlyStop.Parse("rule=beta,wave=4"), Confidence = ConfidenceSettings.Parse("keep=50,window=8") } : step)],
            })],
        };
        var oraclePath = Path.Combine(_dir, "oracle.json");
        File.WriteAllText(oraclePath, oracle.ToJson());
        foreach (var path in new[] { oraclePath, PolicyFile() })
        {
            var planner = new BatchPlanner(new RouterOptions { PolicyFile = path }, TimeProvider.System);
            var batch = Batch(16) with
            {
                Problems = [new ProblemSubmission { Text = "12+30", DifficultyBin = 1 }, new ProblemSubmission { Text = "(3+4)*5-6", DifficultyBin = 4 }, new ProblemSubmission { Text = "9*9", DifficultyBin = 6 }],
            };
            var decision = planner.Plan(batch);
            Assert.Null(decision.Rejection);
            var (easy, hard, bad) = (decision.Runs[0], decision.Runs[1], decision.Runs[2]);
            Assert.Equal(("weighted-best-of-n", 4, 0), (easy.Plan!.Strategy, easy.Plan.N, easy.Plan.Probes));
            Assert.Equal(("beam-search", 16, 0), (hard.Plan!.Strategy, hard.Plan.N, hard.Plan.Probes));
            Assert.Equal((4, "oracle"), (hard.Run.DifficultyBin, hard.Run.DifficultySource));
            if (path == oraclePath)
            {
                Assert.Equal((EarlyStop.Parse("rule=beta,wave=4").Spec, ConfidenceSettings.Parse("keep=50,window=8").Spec), (hard.Plan.EarlyStop, hard.Plan.Confidence));
            }
            Assert.Null(bad.Plan);
            Assert.Contains("DifficultyBin: must be between 1 and 5 (was 6)", bad.Run.FailureReason);
        }

        // A policy for known difficulty cannot route a problem that gives none: that run fails, naming the field.
        var unknown = new BatchPlanner(new RouterOptions { PolicyFile = oraclePath }, TimeProvider.System).Plan(Batch(16));
        Assert.All(unknown.Runs, r => Assert.Contains("DifficultyBin: the compute-optimal policy (version 3) was fitted for known difficulty", r.Run.FailureReason));
    }

    [Fact]
    public void A_policy_is_not_applied_with_another_verifier_or_generator_without_saying_so()
    {
        var planner = new BatchPlanner(new RouterOptions { PolicyFile = PolicyFile() }, TimeProvider.System);

        // Named compute-optimal with another verifier: refused, naming the field, the policy's models and the way out.
        var other = planner.Plan(Batch(16) with { VerifierModel = "qwen-prm" });
        Assert.Equal("VerifierModel", other.Rejection!.Field);
        Assert.Contains("the fitted policy (version 3) was fitted with verifier 'prm' (generator 'gen-small', verifier 'prm'); this batch names verifier 'qwen-prm'", other.Rejection.Reason);
        Assert.Equal("GeneratorModel", planner.Plan(Batch(16) with { GeneratorModel = "hf-arith" }).Rejection!.Field);

        // No strategy named: the built-in rule routes it, not a policy fitted for other models.
        var open = planner.Plan(Batch(16) with { Strategy = null, VerifierModel = "qwen-prm" });
        Assert.Null(open.Rejection);
        Assert.All(open.Runs, r => Assert.NotEqual("compute-optimal", r.Plan!.Strategy));
        Assert.All(planner.Plan(Batch(16) with { Strategy = null }).Runs, r => Assert.Equal("compute-optimal", r.Plan!.Strategy));
    }
}
