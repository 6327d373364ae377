namespace Platform.Contracts;

/// <summary>Published by the Router once a batch is stored and its runs are planned.</summary>
public record BatchAccepted
{
    public Guid BatchId { get; init; }
    public int ProblemCount { get; init; }

    /// <summary>Runs that failed validation at once (their reasons are stored); the rest go ahead.</summary>
    public int RejectedProblemCount { get; init; }

    public DateTimeOffset AcceptedAt { get; init; }
}
