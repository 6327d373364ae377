using Platform.Contracts;
using Platform.Router;
using Platform.Router.Planning;

namespace Platform.UnitTests;

/// <summary>The Router plans sequential-revisions runs (N = chains x chain length) or rejects the batch naming the field.</summary>
public sealed class RevisionPlanningTests
{
    private static SubmitBatch Batch(string? strategy = "sequential-revisions") => new()
    {
        BatchId = Guid.NewGuid(), Strategy = strategy, Problems = [new ProblemSubmission { Text = "12+30", ReferenceAnswer = "42" }],
    };

    private static readonly BatchPlanner Planner = new(new RouterOptions { PolicyFile = "/nonexistent/policy.json" }, TimeProvider.System);

    [Theory]
    // N, chains, chain length -> planned N, chains, chain length
    [InlineData(null, null, null, 16, 0, 0)]
    [InlineData(16, 2, 8, 16, 2, 8)]
    [InlineData(16, 4, null, 16, 4, 0)]
    [InlineData(8, null, 8, 8, 0, 8)]
    public void A_revision_plan_carries_its_chain_shape_and_the_revision_model(int? n, int? chains, int? length, int planned, int p, int l)
    {
        var decision = Planner.Plan(Batch() with { N = n, Chains = chains, ChainLength = length, RevisionSelection = "majority" });
        Assert.Null(decision.Rejection);
        var plan = Assert.Single(decision.Runs).Plan!;
        Assert.Equal(("sequential-revisions", planned, p, l), (plan.Strategy, plan.N, plan.Chains, plan.ChainLength));
        Assert.Equal(("gen-revise", "gen-small", "majority"), (plan.ReviseModel, plan.GeneratorModel, plan.RevisionSelection));
        Assert.Equal("gen-other", Planner.Plan(Batch() with { ReviseModel = "gen-other" }).Runs[0].Plan!.ReviseModel);
    }

    [Theory]
    [InlineData("sequential-revisions", 16, 3, null, null, "Chains")]          // 3 does not divide 16
    [InlineData("sequential-revisions", 16, 2, 4, null, "Chains")]             // 2 x 4 != 16
    [InlineData("sequential-revisions", 16, null, 0, null, "ChainLength")]
    [InlineData("sequential-revisions", 16, 0, null, null, "Chains")]
    [InlineData("sequential-revisions", 16, 4, 4, "best", "RevisionSelection")]
    [InlineData("weighted-best-of-n", 16, 4, 4, null, "Strategy")]             // chains belong to sequential revisions
    public void Bad_revision_settings_reject_the_batch_naming_the_field(string strategy, int? n, int? chains, int? length, string? selection, string field)
    {
        var rejection = Planner.Plan(Batch(strategy) with { N = n, Chains = chains, ChainLength = length, RevisionSelection = selection }).Rejection;
        Assert.NotNull(rejection);
        Assert.Equal(field, rejection.Field);
    }

    [Theory]
    [InlineData("sequential-revisions", "wave=0", "wave must be at least 1")]
    [InlineData("sequential-revisions", "pace=2", "unknown key 'pace'")]
    [InlineData("weighted-best-of-n", "rule=esc,wave=1", "esc rule needs a wave of at least 2")]
    [InlineData("beam-search", "on", "early stop applies to strategies self-consistency, best-of-n, weighted-best-of-n")]
    [InlineData("greedy", "on", "(was greedy)")]
    public void A_bad_early_stop_rejects_the_batch_naming_the_field(string strategy, string spec, string message)
    {
        var rejection = Planner.Plan(Batch(strategy) with { N = 16, EarlyStop = spec }).Rejection;
        Assert.NotNull(rejection);
        Assert.Equal("EarlyStop", rejection.Field);
        Assert.Contains(message, rejection.Reason);
    }

    [Theory]
    [InlineData("confidence-vote", "keep=0", "keep must be a percentage within (0, 100]")]
    [InlineData("deepconf", "measure=tail,warmup=4", "its measure is lowest-group")]
    [InlineData("self-consistency", "keep=50", "confidence settings apply to strategies confidence-vote and deepconf")]
    public void A_bad_confidence_setting_rejects_the_batch_naming_the_field(string strategy, string spec, string message)
    {
        var rejection = Planner.Plan(Batch(strategy) with { N = 16, Confidence = spec }).Rejection;
        Assert.NotNull(rejection);
        Assert.Equal("Confidence", rejection.Field);
        Assert.Contains(message, rejection.Reason);
    }

    [Theory]
    [InlineData("self-consistency", "rule=beta,wave=4", null)]
    [InlineData("deepconf", null, "warmup=4,window=8")]
    [InlineData("confidence-vote", "rule=esc,wave=4", "measure=mean,keep=10")]
    public void Early_stop_and_confidence_travel_in_the_plan(string strategy, string? stop, string? confidence)
    {
        var decision = Planner.Plan(Batch(strategy) with { N = 16, EarlyStop = stop, Confidence = confidence });
        Assert.Null(decision.Rejection);
        var plan = decision.Runs[0].Plan!;
        Assert.Equal((stop, confidence), (plan.EarlyStop, plan.Confidence));
    }

    [Fact]
    public void An_early_stop_travels_in_the_plan()
    {
        var plan = Planner.Plan(Batch() with { N = 16, Chains = 8, EarlyStop = "give-up-after=4" }).Runs[0].Plan!;
        Assert.Equal("give-up-after=4", plan.EarlyStop);
        Assert.Equal(4, Platform.Reasoning.Controllers.EarlyStop.Parse(plan.EarlyStop!).GiveUpAfter);
    }

    [Fact]
    public void Other_strategies_name_no_revision_model()
    {
        Assert.Null(Planner.Plan(Batch("weighted-best-of-n")).Runs[0].Plan!.ReviseModel);
    }
}
