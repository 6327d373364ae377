namespace Platform.Storage.Entities;

/// <summary>A calibration sweep: every strategy at several budgets on a calibration set. Key is its business key.</summary>
public class Sweep
{
    public Guid Id { get; set; }

    /// <summary>e.g. "nightly:2026-11-22"; a scheduled sweep runs once per key.</summary>
    public string Key { get; set; } = "";

    public string Status { get; set; } = "running";
    public string ConfigJson { get; set; } = "{}";
    public Guid? BatchId { get; set; }
    public int ProblemCount { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The policy version fitted from this sweep (by the Router's policy-fit job); null until one is.</summary>
    public int? PolicyVersion { get; set; }
}
