namespace Platform.Contracts;

/// <summary>Published by the Router for every problem it planned; the Aggregator starts the run.</summary>
public record RunPlanned
{
    public Guid BatchId { get; init; }
    public Guid RunId { get; init; }
    public Guid ProblemId { get; init; }
    public string ProblemText { get; init; } = "";
    public string? ReferenceAnswer { get; init; }
    public StrategyPlan Plan { get; init; } = new();
    public DifficultyEstimate Difficulty { get; init; } = new();
}
