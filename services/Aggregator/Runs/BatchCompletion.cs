using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>Completes a batch once none of its runs is planned or running; the conditional update lets exactly one caller publish.</summary>
public sealed class BatchCompletion(PlatformDbContext db, TimeProvider clock, ILogger<BatchCompletion> logger)
{
    public async Task Check(ConsumeContext context, Guid batchId)
    {
        var ct = context.CancellationToken;
        if (await db.Runs.AnyAsync(r => r.BatchId == batchId && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running), ct))
        {
            return;
        }

        var now = clock.GetUtcNow();
        var claimed = await db.Batches.Where(b => b.Id == batchId && b.Status == BatchStatus.Accepted)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BatchStatus.Completed).SetProperty(b => b.CompletedAt, now), ct);

        // A redelivered event republishes, in case the first delivery committed but never published.
        if (claimed == 0 && !context.ReceiveContext.Redelivered)
        {
            return;
        }

        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == batchId).Select(r => new { r.Status, r.Correct }).ToListAsync(ct);
        if (runs.Count == 0)
        {
            return;
        }

        var completed = new BatchCompleted
        {
            BatchId = batchId, Runs = runs.Count, Completed = runs.Count(r => r.Status == RunStatus.Completed),
            Failed = runs.Count(r => r.Status == RunStatus.Failed), Correct = runs.Count(r => r.Correct == true),
            Usage = await UsageTotals.ForBatch(db, batchId, ct),
        };
        logger.LogInformation("batch {BatchId} completed: {Completed} completed ({Correct} correct), {Failed} failed",
            batchId, completed.Completed, completed.Correct, completed.Failed);
        await context.Publish(completed, ct);
    }
}
