namespace Platform.Contracts;

/// <summary>Command to the Aggregator: end a run as failed with the reason (a run that can no longer finish).</summary>
public record FailRun
{
    public Guid RunId { get; init; }
    public string Reason { get; init; } = "";
}
