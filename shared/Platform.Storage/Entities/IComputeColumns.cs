namespace Platform.Storage.Entities;

/// <summary>
/// The compute columns a run (its running totals) and a usage row (one request) share: read, added and summed in one
/// place (<c>Platform.Operations.Usage.RunUsage</c>) rather than field by field wherever they are used.
/// </summary>
public interface IComputeColumns
{
    long PromptTokens { get; set; }
    long CachedPromptTokens { get; set; }
    long GeneratedTokens { get; set; }
    long ScoredTokens { get; set; }
    long CachedScoredTokens { get; set; }
    double Flops { get; set; }
    double DeviceMilliseconds { get; set; }
}
