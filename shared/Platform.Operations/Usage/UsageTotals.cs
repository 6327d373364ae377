using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Storage;

namespace Platform.Operations.Usage;

/// <summary>Sums of the per-request usage rows: what RunCompleted and BatchCompleted report.</summary>
public static class UsageTotals
{
    public static async Task<ComputeUsage> ForRun(PlatformDbContext db, Guid runId, CancellationToken ct) =>
        Sum(await db.ComputeUsage.AsNoTracking().Where(u => u.RunId == runId).ToListAsync(ct));

    public static async Task<ComputeUsage> ForBatch(PlatformDbContext db, Guid batchId, CancellationToken ct) =>
        Sum(await db.ComputeUsage.AsNoTracking().Where(u => u.BatchId == batchId).ToListAsync(ct));

    private static ComputeUsage Sum(List<Storage.Entities.ComputeUsageRecord> rows) => new()
    {
        PromptTokens = rows.Sum(u => u.PromptTokens),
        CachedPromptTokens = rows.Sum(u => u.CachedPromptTokens),
        GeneratedTokens = rows.Sum(u => u.GeneratedTokens),
        ScoredTokens = rows.Sum(u => u.ScoredTokens),
        CachedScoredTokens = rows.Sum(u => u.CachedScoredTokens),
        Flops = rows.Sum(u => u.Flops),
        DeviceMilliseconds = rows.Sum(u => u.DeviceMilliseconds),
        Model = string.Join("+", rows.Select(u => u.Model).Distinct().Order()),
    };
}

/// <summary>A run's running totals of compute and the usage row of each reply.</summary>
public static class RunUsage
{
    public static ComputeUsage Totals(Storage.Entities.Run run) => new()
    {
        PromptTokens = run.PromptTokens, CachedPromptTokens = run.CachedPromptTokens, GeneratedTokens = run.GeneratedTokens,
        ScoredTokens = run.ScoredTokens, CachedScoredTokens = run.CachedScoredTokens, Flops = run.Flops, DeviceMilliseconds = run.DeviceMilliseconds,
    };

    /// <summary>Adds one reply's usage to the run's totals and returns its usage row.</summary>
    public static Storage.Entities.ComputeUsageRecord Add(Storage.Entities.Run run, int round, string kind, Guid requestId, ComputeUsage usage, DateTimeOffset now,
        string? worker = null)
    {
        run.PromptTokens += usage.PromptTokens;
        run.CachedPromptTokens += usage.CachedPromptTokens;
        run.GeneratedTokens += usage.GeneratedTokens;
        run.ScoredTokens += usage.ScoredTokens;
        run.CachedScoredTokens += usage.CachedScoredTokens;
        run.Flops += usage.Flops;
        run.DeviceMilliseconds += usage.DeviceMilliseconds;
        return new Storage.Entities.ComputeUsageRecord
        {
            Id = Guid.NewGuid(), RequestId = requestId, BatchId = run.BatchId, RunId = run.Id, Round = round, Kind = kind,
            Model = usage.Model.Length > 0 ? usage.Model : "unknown", PromptTokens = usage.PromptTokens, CachedPromptTokens = usage.CachedPromptTokens,
            GeneratedTokens = usage.GeneratedTokens, ScoredTokens = usage.ScoredTokens, CachedScoredTokens = usage.CachedScoredTokens, Flops = usage.Flops,
            DeviceMilliseconds = usage.DeviceMilliseconds, RecordedAt = now, Worker = worker,
        };
    }
}
