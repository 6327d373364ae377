namespace Platform.Contracts;

/// <summary>Published by the Verifier with the step scores of a request.</summary>
public record CandidatesScored
{
    public Guid RequestId { get; init; }
    public Guid RunId { get; init; }
    public int Round { get; init; }
    public string Kind { get; init; } = "";
    public IReadOnlyList<CandidateScores> Scores { get; init; } = [];
    public ComputeUsage Usage { get; init; } = new();
    public string? Error { get; init; }

    /// <summary>The queue of the worker that served it (decision 0023): the run's next round goes there; null where workers have no queue of their own.</summary>
    public string? Worker { get; init; }

    /// <summary>The generation the scored candidates come from, when the request carried it (<see cref="ScoreCandidates.Generated"/>).</summary>
    public CandidatesGenerated? Generated { get; init; }
}
