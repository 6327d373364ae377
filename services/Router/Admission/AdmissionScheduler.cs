using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Operations.Redrive;
using Platform.Reasoning.Scheduling;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.Admission;

/// <summary>
/// Lets planned runs out to the workers in fair turns. Planned runs wait in the database (admitted_at
/// null); each pass reads the active batches and their runs in flight, shares the free slots between them
/// (<see cref="FairShare"/>: by submitter, then by batch, weighted by priority class), marks the chosen runs
/// admitted and then publishes their RunPlanned. Everything it needs is in the database, so a restart loses
/// no waiting or admitted run: on start it publishes again every run marked admitted but still planned (a
/// Router stopped between marking and publishing left them unsent; one sent twice is the same start to the
/// Aggregator), and so does the pass after one whose publishing failed.
/// </summary>
public sealed class AdmissionScheduler(IServiceScopeFactory scopes, IBus bus, IOptions<AdmissionOptions> options, TimeProvider clock, ILogger<AdmissionScheduler> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Asks for a pass now (a batch's runs were stored).</summary>
    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // already awake
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.IntervalMilliseconds);
        var recovered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var admitted = 0;
            try
            {
                if (!recovered)
                {
                    await Recover(stoppingToken);
                    recovered = true;
                }

                admitted = await Pass(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning(e, "admission pass failed; trying again in {Interval} ms", options.Value.IntervalMilliseconds);
                recovered = false;
            }

            if (admitted == 0)
            {
                try
                {
                    await _wake.WaitAsync(interval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One pass: returns how many runs it let out.</summary>
    public async Task<int> Pass(CancellationToken ct)
    {
        var o = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var active = await db.Batches.AsNoTracking().Where(b => b.Status == BatchStatus.Accepted)
            .Select(b => new { b.Id, b.Submitter, b.Priority, b.TraceParent }).ToListAsync(ct);
        if (active.Count == 0)
        {
            return 0;
        }

        var inFlight = await InFlight(db, ct);
        var total = inFlight.Values.Sum();
        var free = o.MaxRunsInFlight == 0 ? o.MaxPerPass : Math.Min(o.MaxPerPass, o.MaxRunsInFlight - total);
        if (free <= 0)
        {
            return 0;
        }

        var contenders = active.Select(b =>
        {
            var share = o.For(b.Submitter);
            return new Contender(b.Id, b.Submitter, share.Weight * o.ClassWeight(b.Priority), inFlight.GetValueOrDefault(b.Id), o.MaxPerPass,
                share.MaxRunsInFlight > 0 ? share.MaxRunsInFlight : o.MaxRunsInFlightPerSubmitter);
        }).ToList();

        // A batch given more than it has waiting returns the rest to the others: a few rounds settle it.
        var admitted = 0;
        for (var round = 0; round < 4 && free > 0; round++)
        {
            var shares = FairShare.Allocate(contenders, free, o.MaxRunsInFlightPerBatch);
            if (shares.Count == 0)
            {
                break;
            }

            var exhausted = false;
            for (var i = 0; i < contenders.Count; i++)
            {
                if (!shares.TryGetValue(contenders[i].Id, out var count))
                {
                    continue;
                }

                var let = await Admit(db, contenders[i].Id, active[i].TraceParent, count, ct);
                admitted += let;
                free -= let;
                contenders[i] = contenders[i] with { InFlight = contenders[i].InFlight + let, Waiting = let < count ? 0 : contenders[i].Waiting - let };
                exhausted |= let < count;
            }

            if (!exhausted)
            {
                break;
            }
        }

        if (admitted > 0)
        {
            PlatformTelemetry.RunsAdmitted.Add(admitted);
        }

        return admitted;
    }

    /// <summary>Runs in flight by batch: let out and not ended.</summary>
    private static Task<Dictionary<Guid, int>> InFlight(PlatformDbContext db, CancellationToken ct) =>
        db.Runs.AsNoTracking().Where(RunQueue.InFlight).GroupBy(r => r.BatchId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);

    /// <summary>Publishes again the runs marked admitted that no worker has started: the last Router may have stopped before sending them.</summary>
    public async Task<int> Recover(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var total = 0;
        var after = Guid.Empty;
        while (true)
        {
            var page = await db.Runs.AsNoTracking().Where(RunQueue.InFlight).Where(r => r.Status == RunStatus.Planned && r.Id.CompareTo(after) > 0)
                .OrderBy(r => r.Id).Take(options.Value.MaxPerPass).Include(r => r.Problem).ToListAsync(ct);
            if (page.Count == 0)
            {
                break;
            }

            await Task.WhenAll(page.Select(r => bus.Publish(PlannedRuns.Message(r, r.Problem!), CancellationToken.None)));
            total += page.Count;
            after = page[^1].Id;
        }

        if (total > 0)
        {
            logger.LogInformation("published again {Count} admitted runs that no worker had started", total);
        }

        return total;
    }

    /// <summary>Marks up to <paramref name="count"/> of the batch's waiting runs admitted, oldest first, then publishes them.</summary>
    private async Task<int> Admit(PlatformDbContext db, Guid batchId, string? traceParent, int count, CancellationToken ct)
    {
        var runs = await db.Runs.AsNoTracking().Where(RunQueue.Waiting).Where(r => r.BatchId == batchId).OrderBy(r => r.CreatedAt).Take(count).Include(r => r.Problem).ToListAsync(ct);
        if (runs.Count == 0)
        {
            return 0;
        }

        var ids = runs.Select(r => r.Id).ToList();
        await db.Runs.Where(r => ids.Contains(r.Id) && r.AdmittedAt == null).ExecuteUpdateAsync(s => s.SetProperty(r => r.AdmittedAt, clock.GetUtcNow()), ct);

        // Published within the batch's own trace, so one run's spans stay connected from the HTTP request on. Once marked, the
        // runs are sent even by a Router asked to stop; after a failed send the next pass begins with Recover.
        using (PlatformTelemetry.Source.StartActivity("admit runs", System.Diagnostics.ActivityKind.Internal,
                   System.Diagnostics.ActivityContext.TryParse(traceParent, null, out var parent) ? parent : default))
        {
            await Task.WhenAll(runs.Select(r => bus.Publish(PlannedRuns.Message(r, r.Problem!), CancellationToken.None)));
        }

        logger.LogDebug("admitted {Count} runs of batch {BatchId}", runs.Count, batchId);
        return runs.Count;
    }
}
