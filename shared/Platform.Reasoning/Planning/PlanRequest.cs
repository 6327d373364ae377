namespace Platform.Reasoning.Planning;

/// <summary>What a batch asked for; null fields are left to the policy.</summary>
public sealed record PlanRequest
{
    public string? Strategy { get; init; }
    public int? N { get; init; }
    public string? Aggregation { get; init; }
}

/// <summary>A strategy with its budget and parameters, before models are attached.</summary>
public sealed record PlannedStrategy(string Strategy, int N, string Aggregation, double Temperature);

/// <summary>
/// The built-in policy used until a sweep has fitted one: easy problems get one greedy sample; harder
/// ones get more samples, selected with the PRM (weighted best-of-N, Snell et al.'s choice). A batch
/// can fix one strategy (and N) for every problem instead.
/// </summary>
public static class DefaultPolicy
{
    public const double SamplingTemperature = 0.8;
    public const int MaxN = 1024;

    /// <summary>Samples of a fixed sampling or search strategy when the batch gives no N.</summary>
    public const int DefaultN = 16;

    /// <summary>Samples per difficulty bin 1..5.</summary>
    private static readonly int[] BudgetByBin = [1, 4, 8, 16, 16];

    public static PlannedStrategy Plan(int bin, PlanRequest request)
    {
        var aggregation = request.Aggregation ?? "last";
        if (request.Strategy is { } fixedStrategy)
        {
            var single = fixedStrategy is Strategies.Greedy or Strategies.BudgetForcing;
            var n = single ? 1 : request.N ?? DefaultN;
            return new PlannedStrategy(fixedStrategy, n, aggregation, single ? 0 : SamplingTemperature);
        }

        var budget = request.N ?? BudgetByBin[Math.Clamp(bin, 1, 5) - 1];
        return budget <= 1
            ? new PlannedStrategy(Strategies.Greedy, 1, aggregation, 0)
            : new PlannedStrategy(Strategies.WeightedBestOfN, budget, aggregation, SamplingTemperature);
    }
}
