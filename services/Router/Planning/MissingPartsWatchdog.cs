using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Router.Consumers;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.Planning;

/// <summary>
/// A batch sent in parts whose remaining parts never arrive (the sender stopped half way, a part was lost)
/// would wait for good. Every <see cref="RouterOptions.MissingPartsCheckSeconds"/> this looks for accepted
/// batches with fewer problems stored than announced and nothing stored for
/// <see cref="RouterOptions.MissingPartsSeconds"/>; their missing problems are stored with failed runs that
/// say so, and the batch completes with every problem accounted for. The wait outlasts a part's retries,
/// so a part that is only slow is not failed.
/// </summary>
public sealed class MissingPartsWatchdog(IServiceScopeFactory scopes, IBus bus, BatchPlanner planner, IOptions<RouterOptions> options, TimeProvider clock,
    ILogger<MissingPartsWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.MissingPartsCheckSeconds), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await Check(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    logger.LogWarning(e, "checking for batches with missing parts failed; trying again at the next check");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the Router is stopping
        }
    }

    /// <summary>One check: returns the batches whose missing problems it failed.</summary>
    public async Task<int> Check(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var wait = TimeSpan.FromSeconds(options.Value.MissingPartsSeconds);
        var cutoff = clock.GetUtcNow() - wait;
        var incomplete = await db.Batches.AsNoTracking().Where(b => b.Status == BatchStatus.Accepted && db.Problems.Count(p => p.BatchId == b.Id) < b.ProblemCount)
            .ToListAsync(ct);
        var failed = 0;
        foreach (var batch in incomplete)
        {
            var last = await db.Runs.Where(r => r.BatchId == batch.Id).OrderByDescending(r => r.CreatedAt).Select(r => (DateTimeOffset?)r.CreatedAt).FirstOrDefaultAsync(ct);
            if ((last ?? batch.SubmittedAt) >= cutoff)
            {
                continue;
            }

            var stored = (await db.Problems.Where(p => p.BatchId == batch.Id).Select(p => p.Index).ToListAsync(ct)).ToHashSet();
            var missing = Enumerable.Range(0, batch.ProblemCount).Where(i => !stored.Contains(i)).ToList();
            var reason = $"this problem's part of the batch never arrived: nothing was stored for {wait.TotalSeconds:0} s after the last part " +
                $"(Router:MissingPartsSeconds); {missing.Count} of {batch.ProblemCount} problems are missing";
            foreach (var chunk in missing.Chunk(SubmitBatchConsumer.ChunkSize))
            {
                await SubmitBatchConsumer.Store(bus, db, batch.Id, planner.FailMissing(batch, chunk, reason), ct);
            }

            logger.LogWarning("batch {BatchId}: {Missing} problems never arrived; failed so that the batch ends", batch.Id, missing.Count);
            failed++;
        }

        return failed;
    }
}
