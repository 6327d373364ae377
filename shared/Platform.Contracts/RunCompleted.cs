namespace Platform.Contracts;

/// <summary>Published by the Aggregator when a run has selected and graded its answer.</summary>
public record RunCompleted
{
    public Guid BatchId { get; init; }
    public Guid RunId { get; init; }
    public Guid ProblemId { get; init; }
    public string Strategy { get; init; } = "";
    public string? Answer { get; init; }

    /// <summary>Null when the problem has no reference answer.</summary>
    public bool? Correct { get; init; }

    /// <summary>Sum of the run's per-request usage.</summary>
    public ComputeUsage Usage { get; init; } = new();
}
