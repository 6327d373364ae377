namespace Platform.Contracts;

/// <summary>Published by the Router when a batch as a whole is invalid; nothing of it runs.</summary>
public record BatchRejected
{
    public Guid BatchId { get; init; }

    /// <summary>The offending field, e.g. "N" or "Problems".</summary>
    public string Field { get; init; } = "";

    public string Reason { get; init; } = "";
}
