namespace Platform.Storage.Entities;

/// <summary>One strategy applied to one problem; (ProblemId, PlanKey) is its business key.</summary>
/// <remarks>Its compute columns (<see cref="ComputeColumns"/>) are every request the run made, summed as the replies arrive (the per-request rows are in compute_usage).</remarks>
public class Run : ComputeColumns
{
    public Guid Id { get; set; }
    public Guid BatchId { get; set; }
    public Guid ProblemId { get; set; }

    /// <summary>Names the plan within the problem ("main", or "beam-search:16" in a sweep).</summary>
    public string PlanKey { get; set; } = "main";

    public string Strategy { get; set; } = "";
    public int N { get; set; }
    public string PlanJson { get; set; } = "{}";

    public int DifficultyBin { get; set; }
    public double DifficultyScore { get; set; }
    public string DifficultySource { get; set; } = "";

    /// <summary>One of <see cref="RunStatus"/>.</summary>
    public string Status { get; set; } = RunStatus.Planned;

    /// <summary>When the Router's admission scheduler let the run out to the workers (null: waiting its turn).</summary>
    public DateTimeOffset? AdmittedAt { get; set; }

    /// <summary>The last round the run has started.</summary>
    public int CurrentRound { get; set; }

    /// <summary>The queues of the Generator and the Verifier that served the run's last rounds (decision 0023): its next rounds go there first.</summary>
    public string? GeneratorWorker { get; set; }

    public string? VerifierWorker { get; set; }

    public string? Answer { get; set; }
    public bool? Correct { get; set; }
    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public Problem? Problem { get; set; }
    public Batch? Batch { get; set; }
}

/// <summary>
/// The admission scheduler's two sets of runs, as queries; the partial indexes of RunConfiguration
/// (<c>WaitingFilter</c>, <c>InFlightFilter</c>) hold the same predicates in SQL.
/// </summary>
public static class RunQueue
{
    /// <summary>Planned and not yet let out to the workers.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<Run, bool>> Waiting = r => r.AdmittedAt == null && r.Status == RunStatus.Planned;

    /// <summary>Let out and not ended.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<Run, bool>> InFlight =
        r => r.AdmittedAt != null && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running);
}

public static class RunStatus
{
    public const string Planned = "planned";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>Statuses a run does not leave.</summary>
    public static bool IsEnded(string status) => status is Completed or Failed or Cancelled;
}
