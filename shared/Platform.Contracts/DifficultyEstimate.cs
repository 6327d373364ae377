namespace Platform.Contracts;

/// <summary>The Router's estimate of how hard a problem is for the generator.</summary>
public record DifficultyEstimate
{
    /// <summary>Difficulty bin 1 (easiest) to 5 (hardest), as the five quantile bins of Snell et al.</summary>
    public int Bin { get; init; }

    /// <summary>The estimator's raw score (higher is harder); its meaning depends on <see cref="Source"/>.</summary>
    public double Score { get; init; }

    /// <summary>"heuristic" (problem features), "predicted" (mean PRM score of probe samples, by a fitted policy) or "oracle".</summary>
    public string Source { get; init; } = "heuristic";
}
