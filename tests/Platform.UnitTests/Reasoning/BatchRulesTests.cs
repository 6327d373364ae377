using Platform.Contracts;
using Platform.Reasoning.Planning;

namespace Platform.UnitTests.Reasoning;

/// <summary>A batch's settings rules (one home: <see cref="BatchRules"/>): each broken rule names its field and its limit.</summary>
public sealed class BatchRulesTests
{
    private static readonly BatchLimits Limits = new(MaxProblems: 10, MaxNewTokens: 512);

    private static SubmitBatch Batch(Func<SubmitBatch, SubmitBatch> change) =>
        change(new SubmitBatch { BatchId = Guid.NewGuid(), Problems = [new ProblemSubmission { Text = "2+3" }] });

    public static TheoryData<string, Func<SubmitBatch, SubmitBatch>, string?, string?> Cases() => new()
    {
        { "valid", b => b with { Strategy = "beam-search", N = 16, BeamWidth = 4 }, null, null },
        { "no id", b => b with { BatchId = Guid.Empty }, "BatchId", "non-empty id" },
        { "no problems", b => b with { Problems = [] }, "Problems", "no problems" },
        { "too many problems", b => b with { TotalProblems = 11 }, "Problems", "the limit is 10 (Router:MaxProblemsPerBatch)" },
        { "unknown strategy", b => b with { Strategy = "best-of-everything" }, "Strategy", "best-of-everything" },
        { "N too large", b => b with { N = DefaultPolicy.MaxN + 1 }, "N", $"between 1 and {DefaultPolicy.MaxN}" },
        { "temperature", b => b with { Temperature = 2.5 }, "Temperature", "between 0 and 2" },
        { "top p", b => b with { TopP = 0 }, "TopP", "greater than 0" },
        { "new tokens", b => b with { MaxNewTokens = 513 }, "MaxNewTokens", "Router:MaxNewTokensLimit" },
        { "both budgets", b => b with { TokenBudget = 10, Budget = new ComputeBudget { Amount = 10 } }, "Budget", "not both" },
        { "token budget", b => b with { TokenBudget = 0 }, "TokenBudget", "at least 1" },
        { "aggregation", b => b with { Aggregation = "median" }, "Aggregation", "median" },
        { "beam width does not divide N", b => b with { Strategy = "beam-search", N = 16, BeamWidth = 3 }, "BeamWidth", "divide N (N=16, beam width=3)" },
        { "beam width against the default N", b => b with { Strategy = "beam-search", BeamWidth = 32 }, "BeamWidth", $"N={DefaultPolicy.DefaultN}" },
        { "chains elsewhere", b => b with { Strategy = "best-of-n", Chains = 2 }, "Strategy", "belong to strategy sequential-revisions" },
        { "chains x length", b => b with { Strategy = "sequential-revisions", N = 8, Chains = 3, ChainLength = 2 }, "Chains", "must equal N" },
        { "early stop elsewhere", b => b with { Strategy = "beam-search", EarlyStop = "rule=beta" }, "EarlyStop", "applies to strategies" },
        { "early stop spec", b => b with { Strategy = "self-consistency", EarlyStop = "rule=nope" }, "EarlyStop", "nope" },
        { "confidence elsewhere", b => b with { Strategy = "best-of-n", Confidence = "keep=10" }, "Confidence", "deepconf" },
        { "lookahead", b => b with { Lookahead = 17 }, "Lookahead", "between 0 and 16" },
        { "iterations", b => b with { Iterations = 0 }, "Iterations", "between 1 and 10000" },
        { "empty model", b => b with { VerifierModel = "" }, "VerifierModel", "cannot be empty" },
        { "budget forcing", b => b with { BudgetForcing = new BudgetForcingSettings { MinThinkingTokens = 10, MaxThinkingTokens = 5 } }, "BudgetForcing", "min=10, max=5" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_rule_names_its_field_and_limit(string name, Func<SubmitBatch, SubmitBatch> change, string? field, string? reason)
    {
        var error = Batch(change).Validate(Limits);
        Assert.True(field == error?.Field, $"{name}: expected {field ?? "valid"}, got {error?.Field}: {error?.Reason}");
        if (reason is not null)
        {
            Assert.Contains(reason, error!.Value.Reason);
        }
    }

    public static TheoryData<ProblemSubmission?, string?> Problems() => new()
    {
        { new ProblemSubmission { Text = "2+3" }, null },
        { null, "Problem: missing" },
        { new ProblemSubmission { Text = "  " }, "Text: the problem text is empty" },
        { new ProblemSubmission { Text = new string('1', 65) }, "Text: the problem text is 65 bytes; the limit is 64" },
        { new ProblemSubmission { Text = "2+3", ReferenceAnswer = "5\0" }, "ReferenceAnswer: contains a NUL" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void A_bad_problem_is_named_by_its_field(ProblemSubmission? problem, string? expected)
    {
        var error = problem.Problem("gen-small", chatTemplate: null, maxTextBytes: 64);
        if (expected is null)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.StartsWith(expected, error);
        }
    }
}
