namespace Platform.Contracts;

/// <summary>Published by the Generator with every sample of a request.</summary>
public record CandidatesGenerated
{
    public Guid RequestId { get; init; }
    public Guid RunId { get; init; }
    public int Round { get; init; }
    public string Kind { get; init; } = "";
    public IReadOnlyList<GeneratedSample> Samples { get; init; } = [];
    public ComputeUsage Usage { get; init; } = new();

    /// <summary>Set when the request could not be served (unknown model, prompt too long); Samples is then empty.</summary>
    public string? Error { get; init; }

    /// <summary>The queue of the worker that served it (decision 0023): the run's next round goes there; null where workers have no queue of their own.</summary>
    public string? Worker { get; init; }
}
