namespace Platform.Contracts;

/// <summary>Published by the Aggregator when the probe samples of a run are scored: the predicted difficulty.</summary>
public record ProbeCompleted
{
    public Guid BatchId { get; init; }
    public Guid RunId { get; init; }
    public Guid ProblemId { get; init; }
    public int ProbeSamples { get; init; }

    /// <summary>Mean final-step PRM score of the probe samples (higher means easier).</summary>
    public double MeanFinalScore { get; init; }
}
