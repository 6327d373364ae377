using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Platform.Storage.Entities;

namespace Platform.Storage.Queries;

/// <summary>
/// Whether a batch came through whole (the chaos suite's verdict, <c>ttc chaos audit</c>): every problem
/// has one ended run, no candidate stored twice, and the compute usage counted once per request
/// (the usage rows agree with the runs' totals).
/// </summary>
public sealed record BatchAudit
{
    [JsonPropertyName("batch")] public Guid Batch { get; init; }
    [JsonPropertyName("status")] public string Status { get; init; } = "";
    [JsonPropertyName("problems")] public int Problems { get; init; }
    [JsonPropertyName("runs")] public int Runs { get; init; }
    [JsonPropertyName("completed")] public int Completed { get; init; }
    [JsonPropertyName("failed")] public int Failed { get; init; }

    /// <summary>Runs that did not complete: failed, or still planned or running.</summary>
    [JsonPropertyName("lost")] public int Lost { get; init; }

    [JsonPropertyName("failure_reasons")] public Dictionary<string, int> FailureReasons { get; init; } = [];

    /// <summary>(run, candidate key) pairs stored more than once.</summary>
    [JsonPropertyName("duplicated_candidates")] public int DuplicatedCandidates { get; init; }

    [JsonPropertyName("usage_rows")] public int UsageRows { get; init; }
    [JsonPropertyName("usage_requests")] public int UsageRequests { get; init; }
    [JsonPropertyName("compute_counted_twice")] public bool ComputeCountedTwice { get; init; }
    [JsonPropertyName("finished_seconds")] public double? FinishedSeconds { get; init; }

    /// <summary>Every problem answered once, nothing duplicated, nothing counted twice.</summary>
    [JsonIgnore] public bool Whole => Runs == Problems && Completed == Problems && Lost == 0 && DuplicatedCandidates == 0 && !ComputeCountedTwice;

    public static async Task<BatchAudit> Load(PlatformDbContext db, Guid batchId, CancellationToken ct)
    {
        var batch = await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batchId, ct);
        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == batchId)
            .Select(r => new { r.Status, r.FailureReason, r.GeneratedTokens, r.ScoredTokens }).ToListAsync(ct);
        var usage = await db.ComputeUsage.AsNoTracking().Where(u => u.BatchId == batchId).GroupBy(u => 1)
            .Select(g => new { Rows = g.Count(), Requests = g.Select(u => u.RequestId).Distinct().Count(), Generated = g.Sum(u => u.GeneratedTokens), Scored = g.Sum(u => u.ScoredTokens) })
            .SingleOrDefaultAsync(ct);
        var duplicated = await db.Candidates.AsNoTracking().Where(c => db.Runs.Any(r => r.Id == c.RunId && r.BatchId == batchId))
            .GroupBy(c => new { c.RunId, c.Key }).CountAsync(g => g.Count() > 1, ct);
        return new BatchAudit
        {
            Batch = batchId, Status = batch.Status, Problems = batch.ProblemCount, Runs = runs.Count,
            Completed = runs.Count(r => r.Status == RunStatus.Completed),
            Failed = runs.Count(r => r.Status == RunStatus.Failed),
            Lost = runs.Count(r => r.Status != RunStatus.Completed && r.Status != RunStatus.Cancelled),
            FailureReasons = runs.Where(r => r.FailureReason is not null)
                .GroupBy(r => r.FailureReason!.Length > 80 ? r.FailureReason[..80] : r.FailureReason).ToDictionary(g => g.Key, g => g.Count()),
            DuplicatedCandidates = duplicated,
            UsageRows = usage?.Rows ?? 0, UsageRequests = usage?.Requests ?? 0,
            ComputeCountedTwice = usage is not null
                && (usage.Rows != usage.Requests || runs.Sum(r => r.GeneratedTokens) != usage.Generated || runs.Sum(r => r.ScoredTokens) != usage.Scored),
            FinishedSeconds = batch.CompletedAt is { } end ? (end - batch.SubmittedAt).TotalSeconds : null,
        };
    }
}
