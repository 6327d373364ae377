namespace Platform.Contracts;

/// <summary>Published when a run cannot finish; the reason is stored with the run.</summary>
public record RunFailed
{
    public Guid BatchId { get; init; }
    public Guid RunId { get; init; }
    public Guid ProblemId { get; init; }
    public string Reason { get; init; } = "";
}
