using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Storage;

namespace Platform.Aggregator.Runs;

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
        Flops = rows.Sum(u => u.Flops),
        DeviceMilliseconds = rows.Sum(u => u.DeviceMilliseconds),
        Model = string.Join("+", rows.Select(u => u.Model).Distinct().Order()),
    };
}
