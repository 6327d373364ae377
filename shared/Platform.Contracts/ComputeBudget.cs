namespace Platform.Contracts;

/// <summary>
/// A compute budget for compute-optimal routing: an amount of generated tokens or of FLOPs, for the whole
/// batch (split across its problems by the fitted policy) or per problem.
/// </summary>
public record ComputeBudget
{
    public double Amount { get; init; }

    /// <summary>"tokens" (generated tokens) or "flops" (generator and verifier FLOPs).</summary>
    public string Unit { get; init; } = ComputeBudgetUnits.Tokens;

    /// <summary>"batch" (the total for all problems) or "problem" (each problem's average).</summary>
    public string Scope { get; init; } = ComputeBudgetScopes.Batch;
}

public static class ComputeBudgetUnits
{
    public const string Tokens = "tokens";
    public const string Flops = "flops";
}

public static class ComputeBudgetScopes
{
    public const string Batch = "batch";
    public const string Problem = "problem";
}
