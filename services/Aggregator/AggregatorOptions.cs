namespace Platform.Aggregator;

/// <summary>Bound from the <c>Aggregator</c> section.</summary>
public sealed class AggregatorOptions
{
    public const string Section = "Aggregator";

    /// <summary>A running run with no progress for this long has its pending request sent again (same RequestId).</summary>
    public int StallSeconds { get; set; } = 300;

    /// <summary>How often the watchdog looks for stalled runs.</summary>
    public int WatchdogIntervalSeconds { get; set; } = 30;
}
