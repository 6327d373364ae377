using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage;
using Platform.Storage.Entities;

using Platform.Operations.Redrive;
using Platform.Operations.Usage;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Ends runs and publishes what the database says about them: a run ends only while it is still planned
/// or running (a cancellation that ended it first wins), is counted in its batch in the same
/// transaction (the last run completes the batch), and its outcome is published after the commit.
/// </summary>
public sealed class RunOutcomes(PlatformDbContext db, TimeProvider clock, ILogger<RunOutcomes> logger)
{
    /// <summary>Marks a run failed (unless it already ended) and publishes why; used for faults after retries and timed-out requests.</summary>
    public async Task Fail(ConsumeContext context, Guid runId, string reason)
    {
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var run = await db.Runs.Include(r => r.Problem).SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null)
        {
            return;
        }

        if (RunStatus.IsEnded(run.Status))
        {
            await tx.CommitAsync(ct);
            await Republish(context, run);
            return;
        }

        await FailAndPublish(context, tx, run, reason);
    }

    /// <summary>Records why a run failed (bounded) and logs it; the caller ends it.</summary>
    public void RecordFailure(Run run, string reason)
    {
        run.FailureReason = reason.Length > 2000 ? reason[..2000] : reason;
        logger.LogWarning("run {RunId} failed: {Reason}", run.Id, reason);
    }

    /// <summary>Fails a run in the open transaction, commits, and publishes its outcome.</summary>
    public Task FailAndPublish(ConsumeContext context, IDbContextTransaction tx, Run run, string reason)
    {
        RecordFailure(run, reason);
        return End(context, tx, run, RunStatus.Failed);
    }

    /// <summary>
    /// Ends the runs of <paramref name="ids"/> that are still planned or running with <paramref name="status"/>;
    /// the number it ended (fewer than asked: some were ended by someone else since they were read).
    /// </summary>
    public Task<int> EndWhereRunning(IReadOnlyCollection<Guid> ids, string status, DateTimeOffset now, CancellationToken ct) =>
        db.Runs.Where(r => ids.Contains(r.Id) && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, status).SetProperty(r => r.UpdatedAt, now).SetProperty(r => r.CompletedAt, now), ct);

    /// <summary>
    /// Ends a run in the open transaction and counts it in its batch (the last run completes the batch),
    /// commits, then publishes the run's outcome and, when it was the last, the batch's.
    /// </summary>
    private async Task End(ConsumeContext context, IDbContextTransaction tx, Run run, string status)
    {
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        if (await EndWhereRunning([run.Id], status, now, ct) == 0)
        {
            KeepOutcomeOut(run);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return;
        }

        MarkEnded(run, status, now);
        await db.SaveChangesAsync(ct);
        var batchCompleted = await BatchCounters.CountEnded(db, run.BatchId, 1, now, ct);
        await tx.CommitAsync(ct);
        await Published(context, run, status);
        if (batchCompleted)
        {
            await BatchCounters.PublishCompleted(context, db, run.BatchId, logger, ct);
        }
    }

    /// <summary>After the commit that ended a run: counted in the metrics and its outcome published.</summary>
    public Task Published(ConsumeContext context, Run run, string status)
    {
        PlatformTelemetry.RunsEnded.Add(1, new KeyValuePair<string, object?>("status", status));
        return Republish(context, run);
    }

    /// <summary>A run ended by someone else (a cancellation) since it was read: the compute the reply reports is kept, not its outcome.</summary>
    public void KeepOutcomeOut(Run run)
    {
        var entry = db.Entry(run);
        foreach (var property in new[] { nameof(Run.Answer), nameof(Run.Correct), nameof(Run.FailureReason), nameof(Run.Status) })
        {
            entry.Property(property).IsModified = false;
        }
    }

    /// <summary>The tracked run agrees with the conditional update that ended it, and SaveChanges leaves those columns be.</summary>
    public void MarkEnded(Run run, string status, DateTimeOffset now)
    {
        (run.Status, run.UpdatedAt, run.CompletedAt) = (status, now, now);
        var entry = db.Entry(run);
        foreach (var property in new[] { nameof(Run.Status), nameof(Run.UpdatedAt), nameof(Run.CompletedAt) })
        {
            entry.Property(property).OriginalValue = entry.Property(property).CurrentValue;
            entry.Property(property).IsModified = false;
        }
    }

    /// <summary>Publishes what the database says about a run: its result, its failure, or (still running) its pending request again.</summary>
    public async Task Republish(ConsumeContext context, Run run)
    {
        var ct = context.CancellationToken;
        switch (run.Status)
        {
            case RunStatus.Completed:
                await context.Publish(new RunCompleted
                {
                    BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, Strategy = run.Strategy, Answer = run.Answer,
                    Correct = run.Correct, Usage = RunUsage.Of(run),
                }, ct);
                break;
            case RunStatus.Failed:
                await context.Publish(new RunFailed { BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, Reason = run.FailureReason ?? "" }, ct);
                break;
            case RunStatus.Cancelled:
                break;
            default:
                var pending = await db.RunRounds.AsNoTracking().Where(r => r.RunId == run.Id && r.Status == RoundStatus.Pending)
                    .OrderByDescending(r => r.Index).ThenByDescending(r => r.CreatedAt).FirstOrDefaultAsync(ct);
                if (pending?.RequestJson is { } json)
                {
                    await RoundRequests.Resend(context, pending.Kind, json);
                }

                break;
        }
    }
}
