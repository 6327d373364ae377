using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Operations.Usage;

/// <summary>Sums of the per-request usage rows: what a batch's report shows.</summary>
public static class UsageTotals
{
    public static async Task<ComputeUsage> ForBatch(PlatformDbContext db, Guid batchId, CancellationToken ct)
    {
        var rows = await db.ComputeUsage.AsNoTracking().Where(u => u.BatchId == batchId).ToListAsync(ct);
        var total = new ComputeUsageRecord();
        foreach (var row in rows)
        {
            RunUsage.Add(total, RunUsage.Of(row));
        }

        return RunUsage.Of(total) with { Model = string.Join("+", rows.Select(u => u.Model).Distinct().Order()) };
    }
}

/// <summary>The one place the compute columns are read and added: a run's running totals and the usage row of each reply.</summary>
public static class RunUsage
{
    /// <summary>The columns as the contracts report them (a run's totals, a row, a sum).</summary>
    public static ComputeUsage Of(ComputeColumns c) => new()
    {
        PromptTokens = c.PromptTokens, CachedPromptTokens = c.CachedPromptTokens, GeneratedTokens = c.GeneratedTokens,
        ScoredTokens = c.ScoredTokens, CachedScoredTokens = c.CachedScoredTokens, Flops = c.Flops, DeviceMilliseconds = c.DeviceMilliseconds,
    };

    /// <summary>Adds one reply's usage to the columns.</summary>
    public static void Add(ComputeColumns to, ComputeUsage usage)
    {
        to.PromptTokens += usage.PromptTokens;
        to.CachedPromptTokens += usage.CachedPromptTokens;
        to.GeneratedTokens += usage.GeneratedTokens;
        to.ScoredTokens += usage.ScoredTokens;
        to.CachedScoredTokens += usage.CachedScoredTokens;
        to.Flops += usage.Flops;
        to.DeviceMilliseconds += usage.DeviceMilliseconds;
    }

    /// <summary>Adds one reply's usage to the run's totals and returns its usage row.</summary>
    public static ComputeUsageRecord Add(Run run, int round, string kind, Guid requestId, ComputeUsage usage, DateTimeOffset now, string? worker = null)
    {
        Add(run, usage);
        var row = new ComputeUsageRecord
        {
            Id = Guid.NewGuid(), RequestId = requestId, BatchId = run.BatchId, RunId = run.Id, Round = round, Kind = kind,
            Model = usage.Model.Length > 0 ? usage.Model : "unknown", RecordedAt = now, Worker = worker,
        };
        Add(row, usage);
        return row;
    }
}
