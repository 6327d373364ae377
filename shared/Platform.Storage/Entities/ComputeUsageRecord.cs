namespace Platform.Storage.Entities;

/// <summary>Exact compute of one request; RequestId is its business key.</summary>
public class ComputeUsageRecord : ComputeColumns
{
    public Guid Id { get; set; }
    public Guid RequestId { get; set; }
    public Guid BatchId { get; set; }
    public Guid RunId { get; set; }
    public int Round { get; set; }
    public string Kind { get; set; } = "";
    public string Model { get; set; } = "";

    /// <summary>The queue of the worker that served the request, where workers have their own (decision 0023).</summary>
    public string? Worker { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}
