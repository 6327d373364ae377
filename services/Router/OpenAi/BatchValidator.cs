using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.OpenAi;

/// <summary>
/// Validates created OpenAI batches in the background, as OpenAI does (status <c>validating</c>): reads every line
/// of the input file (<see cref="BatchFiles.Plan"/>), sends the valid ones as the platform batch, stores the
/// refused ones, and marks the batch validated. A batch is claimed first, so two Routers do not both read it; a
/// claim older than <see cref="ClaimTimeout"/> (a Router that stopped half way) is taken again, and the work
/// repeats safely: the platform batch's parts are idempotent by index, the error rows are replaced.
/// </summary>
public sealed class BatchValidator(IServiceScopeFactory scopes, BatchPlanner planner, TimeProvider clock, ILogger<BatchValidator> logger) : BackgroundService
{
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Scan = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>A batch was created: look now, not at the next scan.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // already woken
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await Next(stoppingToken) is { } id)
                {
                    await Validate(id, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                logger.LogWarning(e, "validating an OpenAI batch failed; trying again at the next scan");
            }

            try
            {
                await _wake.WaitAsync(Scan, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Claims the oldest batch still validating (unclaimed, or claimed too long ago); null when there is none.</summary>
    private async Task<Guid?> Next(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var now = clock.GetUtcNow();
        var stale = now - ClaimTimeout;
        foreach (var id in await db.OpenAiBatches.Where(b => b.ValidatedAt == null && (b.ClaimedAt == null || b.ClaimedAt < stale))
                     .OrderBy(b => b.CreatedAt).Select(b => b.Id).Take(4).ToListAsync(ct))
        {
            // The claim is one conditional update: of two Routers, one gets it.
            if (await db.OpenAiBatches.Where(b => b.Id == id && b.ValidatedAt == null && (b.ClaimedAt == null || b.ClaimedAt < stale))
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.ClaimedAt, now), ct) == 1)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>Reads the batch's lines, sends the valid ones, stores the refused ones, and marks it validated.</summary>
    public async Task Validate(Guid id, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var row = await db.OpenAiBatches.SingleAsync(b => b.Id == id, ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (submit, first, errors) = await BatchFiles.Plan(db, planner, id, row.InputFileId, row.Endpoint, ct);
        var read = watch.Elapsed.TotalSeconds;
        if (submit is not null)
        {
            await BatchParts.Send(scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>(), submit with
            {
                Name = OpenAiIds.Batch(id), Source = $"openai{row.Endpoint}:{row.InputFileId}", Submitter = row.Submitter, SubmittedAt = row.CreatedAt,
            }, ct);
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.OpenAiBatchErrors.Where(e => e.BatchId == id).ExecuteDeleteAsync(ct); // a second try replaces the first's
            await db.InsertManyAsync(errors, ct);
            row.ErrorCount = errors.Count;
            row.Model = first?.Model ?? "";
            row.AllSamples = first?.AllSamples ?? false;
            row.ValidatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        logger.LogInformation("OpenAI batch {BatchId}: {Lines} lines of {FileId} read in {Read:F2} s, {Refused} refused, sent and stored in {Sent:F2} s",
            id, row.RequestTotal, row.InputFileId, read, errors.Count, watch.Elapsed.TotalSeconds - read);
    }
}
