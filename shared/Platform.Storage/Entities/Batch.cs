namespace Platform.Storage.Entities;

/// <summary>A submitted batch of problems.</summary>
public class Batch
{
    public Guid Id { get; set; }
    public string? Name { get; set; }
    public string? Source { get; set; }

    /// <summary>One of <see cref="BatchStatus"/>.</summary>
    public string Status { get; set; } = BatchStatus.Accepted;

    /// <summary>The fixed strategy the batch asked for, or null for the Router's policy.</summary>
    public string? RequestedStrategy { get; set; }

    /// <summary>The submission's settings (N, aggregation, budget, models) as JSON.</summary>
    public string SettingsJson { get; set; } = "{}";

    public int ProblemCount { get; set; }

    /// <summary>Who submitted it (an API key's name, "cli", "sweep"): the fair share is per submitter.</summary>
    public string Submitter { get; set; } = "";

    /// <summary>The priority class its runs are admitted with (interactive, batch or sweep).</summary>
    public string Priority { get; set; } = "batch";

    /// <summary>The W3C traceparent of the batch's submission: the runs the scheduler lets out later join its trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>Runs that have ended (completed, failed or cancelled), counted in the transaction that ends each run.</summary>
    public int RunsEnded { get; set; }

    public long? TokenBudget { get; set; }
    public string? RejectionReason { get; set; }
    public DateTimeOffset SubmittedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public List<Problem> Problems { get; set; } = [];
    public List<Run> Runs { get; set; } = [];
}

public static class BatchStatus
{
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
}
