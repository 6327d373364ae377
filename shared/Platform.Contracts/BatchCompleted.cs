namespace Platform.Contracts;

/// <summary>Published once every run of a batch has ended, completed or failed.</summary>
public record BatchCompleted
{
    public Guid BatchId { get; init; }
    public int Runs { get; init; }
    public int Completed { get; init; }
    public int Failed { get; init; }
    public int Correct { get; init; }
    public ComputeUsage Usage { get; init; } = new();
}
