using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage;
using Platform.Storage.Entities;
using Quartz;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Re-sends the pending request of every run that has made no progress for
/// <see cref="AggregatorOptions.StallSeconds"/>, with the same RequestId, so a lost message cannot
/// stall a batch. Replies to both sends are claimed once, so a late original reply does no harm.
/// </summary>
[DisallowConcurrentExecution]
public sealed class StalledRunWatchdog(
    PlatformDbContext db, ISendEndpointProvider send, IPublishEndpoint publish, IOptions<AggregatorOptions> options, TimeProvider clock, ILogger<StalledRunWatchdog> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var cutoff = now - TimeSpan.FromSeconds(options.Value.StallSeconds);
        var stalled = await db.Runs.Where(r => r.Status == RunStatus.Running && r.UpdatedAt < cutoff)
            .Join(db.RunRounds.Where(x => x.Status == RoundStatus.Pending), r => r.Id, x => x.RunId, (r, x) => new { Run = r, Round = x })
            .ToListAsync(cancellationToken);
        var timeout = now - TimeSpan.FromSeconds(options.Value.RunTimeoutSeconds);
        foreach (var group in stalled.GroupBy(s => s.Run.Id))
        {
            var latest = group.OrderByDescending(s => s.Round.Index).ThenByDescending(s => s.Round.CreatedAt).First();
            if (latest.Round.CreatedAt < timeout)
            {
                // Sent again and again, never answered: the run cannot finish. It fails with why, and status shows it.
                var reason = $"no reply to request {latest.Round.RequestId} ({latest.Round.Kind}, round {latest.Round.Index}) for " +
                    $"{options.Value.RunTimeoutSeconds} s (Aggregator:RunTimeoutSeconds); its message may be in an _error queue (ttc redrive QUEUE)";
                await (await send.GetSendEndpoint(QueueNames.Address(QueueNames.FailRun))).Send(new FailRun { RunId = latest.Run.Id, Reason = reason }, cancellationToken);
                latest.Run.UpdatedAt = now;
                logger.LogWarning("run {RunId}: {Reason}", latest.Run.Id, reason);
                continue;
            }

            if (latest.Round.RequestJson is not { } json)
            {
                continue;
            }

            await Platform.Operations.Redrive.RoundRequests.Resend(send, latest.Round.Kind, json);
            latest.Run.UpdatedAt = now;
            logger.LogWarning("run {RunId} made no progress since {Since}: request {RequestId} ({Kind}) sent again",
                latest.Run.Id, cutoff, latest.Round.RequestId, latest.Round.Kind);
        }

        await db.SaveChangesAsync(cancellationToken);

        // Repair path: a batch whose runs have all ended but that is not complete (its completing commit was lost).
        var finished = await db.Batches.Where(b => b.Status == BatchStatus.Accepted && b.RunsEnded >= b.ProblemCount).Select(b => b.Id).ToListAsync(cancellationToken);
        foreach (var batchId in finished)
        {
            if (await BatchCounters.Complete(db, batchId, now, cancellationToken))
            {
                logger.LogWarning("batch {BatchId} had every run ended but was not complete: completed by the watchdog", batchId);
                await BatchCounters.PublishCompleted(publish, db, batchId, logger, cancellationToken);
            }
        }
    }
}
