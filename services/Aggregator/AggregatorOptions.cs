namespace Platform.Aggregator;

/// <summary>Bound from the <c>Aggregator</c> section.</summary>
public sealed class AggregatorOptions
{
    public const string Section = "Aggregator";

    /// <summary>A running run with no progress for this long has its pending request sent again (same RequestId).</summary>
    public int StallSeconds { get; set; } = 300;

    /// <summary>
    /// A run whose pending request has had no reply for this long (its message dead-lettered, a worker
    /// gone for good) ends failed with the reason, so no run stays pending forever.
    /// </summary>
    public int RunTimeoutSeconds { get; set; } = 1800;

    /// <summary>How often the watchdog looks for stalled runs.</summary>
    public int WatchdogIntervalSeconds { get; set; } = 30;

    /// <summary>Replies (samples, scores) taken in one transaction at most.</summary>
    public int ReplyBatchSize { get; set; } = 32;

    /// <summary>
    /// How long a batch of replies may wait for more after its first (milliseconds): longer batches
    /// cost less CPU per reply under load and add up to this much latency per round when idle.
    /// </summary>
    public int ReplyBatchMilliseconds { get; set; } = 50;

    /// <summary>
    /// A generation whose samples its strategy scores next (best-of-N, weighted best-of-N, beam search and
    /// DVTS without lookahead) goes Generator → Verifier → Aggregator: one reply, one transaction and one
    /// message fewer per such round. Off: the Aggregator sends the scoring request itself.
    /// </summary>
    public bool FusedScoring { get; set; } = true;
}
