namespace Platform.Storage.Entities;

/// <summary>
/// One round of a run: a request sent and, once answered, its outcome. (RunId, Index, Kind) is the
/// business key: a round of a given kind is recorded once, however often its reply is delivered.
/// </summary>
public class RunRound
{
    public Guid Id { get; set; }
    public Guid RunId { get; set; }
    public int Index { get; set; }

    /// <summary>"generate", "score", "expand", "lookahead", "rollout", "probe".</summary>
    public string Kind { get; set; } = "";

    /// <summary>Deterministic id of (run, index, kind) carried by the request and its reply.</summary>
    public Guid RequestId { get; set; }

    /// <summary>"pending" until the reply is recorded, then "done".</summary>
    public string Status { get; set; } = RoundStatus.Pending;

    /// <summary>The request as sent (JSON), so it can be sent again unchanged after a crash or by the watchdog.</summary>
    public string? RequestJson { get; set; }

    /// <summary>Controller state after this round (search frontier, tree), as JSON; lets a restarted Aggregator resume.</summary>
    public string? StateJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public static class RoundStatus
{
    public const string Pending = "pending";
    public const string Done = "done";
}
