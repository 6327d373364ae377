using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Operations.Usage;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Batch progress without a query per finished run: the transaction that ends a run adds one to its
/// batch's <c>runs_ended</c>, and the one that brings it to the problem count completes the batch (a
/// conditional update, so exactly one transaction does). Nothing queues behind other batches' runs.
/// </summary>
public static class BatchCounters
{
    /// <summary>Counts <paramref name="runs"/> ended runs in the open transaction; true when that completed the batch.</summary>
    public static async Task<bool> CountEnded(PlatformDbContext db, Guid batchId, int runs, DateTimeOffset now, CancellationToken ct)
    {
        await db.Batches.Where(b => b.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(b => b.RunsEnded, b => b.RunsEnded + runs), ct);
        return await Complete(db, batchId, now, ct);
    }

    /// <summary>Accepted and every run ended: the batch becomes completed (true for the one caller that changed it).</summary>
    public static async Task<bool> Complete(PlatformDbContext db, Guid batchId, DateTimeOffset now, CancellationToken ct) =>
        await db.Batches.Where(b => b.Id == batchId && b.Status == BatchStatus.Accepted && b.RunsEnded >= b.ProblemCount)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BatchStatus.Completed).SetProperty(b => b.CompletedAt, now), ct) == 1;

    /// <summary>Publishes BatchCompleted from what the database holds (once per completion; again on a redelivery).</summary>
    public static async Task PublishCompleted(IPublishEndpoint publish, PlatformDbContext db, Guid batchId, ILogger logger, CancellationToken ct)
    {
        var totals = await db.Runs.AsNoTracking().Where(r => r.BatchId == batchId).GroupBy(r => 1).Select(g => new
        {
            Runs = g.Count(),
            Completed = g.Count(r => r.Status == RunStatus.Completed),
            Failed = g.Count(r => r.Status == RunStatus.Failed),
            Correct = g.Count(r => r.Correct == true),
            Usage = new ComputeUsageRecord // summed in the database, read as one row's columns
            {
                PromptTokens = g.Sum(r => r.PromptTokens), CachedPromptTokens = g.Sum(r => r.CachedPromptTokens), GeneratedTokens = g.Sum(r => r.GeneratedTokens),
                ScoredTokens = g.Sum(r => r.ScoredTokens), CachedScoredTokens = g.Sum(r => r.CachedScoredTokens), Flops = g.Sum(r => r.Flops),
                DeviceMilliseconds = g.Sum(r => r.DeviceMilliseconds),
            },
        }).SingleOrDefaultAsync(ct);
        if (totals is null)
        {
            return;
        }

        logger.LogInformation("batch {BatchId} completed: {Completed} completed ({Correct} correct), {Failed} failed",
            batchId, totals.Completed, totals.Correct, totals.Failed);
        await publish.Publish(new BatchCompleted
        {
            BatchId = batchId, Runs = totals.Runs, Completed = totals.Completed, Failed = totals.Failed, Correct = totals.Correct,
            Usage = RunUsage.Of(totals.Usage),
        }, ct);
    }
}
