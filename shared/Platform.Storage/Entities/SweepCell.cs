namespace Platform.Storage.Entities;

/// <summary>
/// One configuration of a sweep (a strategy at one budget on the sweep's problems). A sweep resumed
/// after a crash runs only its cells that are not completed; (SweepId, Name) is the business key.
/// </summary>
public class SweepCell
{
    public Guid Id { get; set; }
    public Guid SweepId { get; set; }

    /// <summary>e.g. "weighted-bon-16": also the file names of its eval summary and database.</summary>
    public string Name { get; set; } = "";

    public string Strategy { get; set; } = "";
    public int N { get; set; }

    /// <summary>The eval options of the configuration, as JSON.</summary>
    public string ArgsJson { get; set; } = "[]";

    /// <summary>pending, running, completed or failed.</summary>
    public string Status { get; set; } = SweepCellStatus.Pending;

    public Guid? BatchId { get; set; }
    public int? Problems { get; set; }
    public double? Accuracy { get; set; }
    public long? GeneratedTokens { get; set; }
    public double? Flops { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public static class SweepCellStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}
