namespace Platform.Storage.Entities;

/// <summary>
/// The compute columns a run (its running totals) and a usage row (one request) share, declared once (EF maps a
/// non-entity base class's properties as each entity's own columns): read, added and summed in one place
/// (<c>Platform.Operations.Usage.RunUsage</c>) rather than field by field wherever they are used.
/// </summary>
public abstract class ComputeColumns
{
    public long PromptTokens { get; set; }
    public long CachedPromptTokens { get; set; }
    public long GeneratedTokens { get; set; }
    public long ScoredTokens { get; set; }
    public long CachedScoredTokens { get; set; }
    public double Flops { get; set; }
    public double DeviceMilliseconds { get; set; }
}
