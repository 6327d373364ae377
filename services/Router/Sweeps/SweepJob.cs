using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Ingestion;
using Platform.Storage;
using Platform.Storage.Entities;
using Quartz;

using Platform.Operations.Policies;
using Platform.Operations.Sweeps;

namespace Platform.Router.Sweeps;

/// <summary>
/// The scheduled calibration sweep: every cell of the grid (<see cref="SweepGrid"/>) runs as one batch
/// through the services, the cell's accuracy, tokens and FLOPs are recorded in <c>sweep_cells</c>, and
/// when every cell has completed the policy-fit job is triggered for the sweep. The sweep's key comes
/// from the fire's scheduled time, so a fire recovered on another Router after a crash (or fired late
/// after a misfire) resumes the same sweep: completed cells are kept and a cell whose batch is still
/// running is waited for, not submitted again.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SweepJob(PlatformDbContext db, ISendEndpointProvider send, IOptions<SweepOptions> options, TimeProvider clock, ILogger<SweepJob> logger) : IJob
{
    public static readonly JobKey Key = new("calibration-sweep", "sweeps");
    public static readonly TriggerKey Trigger = new("calibration-sweep-schedule", "sweeps");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var scheduled = ScheduledFor(context);
        var key = $"scheduled:{scheduled.UtcDateTime:yyyy-MM-ddTHH:mm:ss}Z";
        if (!context.Recovering && await db.Sweeps.AsNoTracking().AnyAsync(s => s.Key == key && s.Status == "completed", cancellationToken))
        {
            // A second fire for the same scheduled time (a Router replacing the stored trigger at start, in
            // the instant another fired it): that sweep has run, so this fire does nothing.
            logger.LogWarning("sweep job fire skipped: sweep {Sweep} already completed (a duplicate fire of the same scheduled time), fire {FireId} on scheduler instance {Instance}",
                key, context.FireInstanceId, context.Scheduler.SchedulerInstanceId);
            return;
        }

        logger.LogInformation("sweep job fired: sweep {Sweep}, trigger {Trigger}, fire {FireId} on scheduler instance {Instance}{Recovering}",
            key, context.Trigger.Key, context.FireInstanceId, context.Scheduler.SchedulerInstanceId, context.Recovering ? " (recovering)" : "");

        var data = RouterFiles.Find(o.Data);
        if (data is null)
        {
            logger.LogError("sweep {Sweep} not run: Router:Sweeps:Data '{Data}' was not found", key, o.Data);
            return;
        }

        var (problems, errors, _) = ProblemLines.Parse(File.ReadLines(data));
        var submissions = problems.Take(o.Limit).Select(p => new ProblemSubmission
        {
            Text = p.Text, ReferenceAnswer = p.ReferenceAnswer, Level = p.Level, Subject = p.Subject, ExternalId = p.ExternalId,
        }).ToList();
        var levels = o.BudgetLevels();
        var grid = o.Grid();
        var (sweep, cells, resumed) = await SweepRecords.StartOrResume(db, key,
            new { data, limit = o.Limit, budgets = levels, seed = o.Seed, strategies = o.Strategies, oracle = o.Oracle, probes = o.Probes, scheduled, bad_lines = errors.Count },
            grid, clock.GetUtcNow(), cancellationToken);
        logger.LogInformation("sweep {Sweep}: {Cells} cells on {Problems} problems{Resumed}", key, cells.Count, submissions.Count,
            resumed ? $", resumed with {cells.Count(c => c.Status == SweepCellStatus.Completed)} completed" : "");

        foreach (var cell in cells.Where(c => c.Status != SweepCellStatus.Completed))
        {
            var spec = grid.FirstOrDefault(g => g.Name == cell.Name);
            if (spec is null)
            {
                SweepRecords.Fail(cell, "the cell is no longer in the configured grid (Router:Sweeps:Budgets / Strategies changed)", clock.GetUtcNow());
                await db.SaveChangesAsync(cancellationToken);
                continue;
            }

            if (cell.Status != SweepCellStatus.Running || cell.BatchId is null)
            {
                // Submitted through the submission queue like any batch, so any Router plans it and the fleet runs it.
                var batch = spec.ToBatch(NewId.NextGuid(), $"sweep {key} {cell.Name}", submissions, o.Seed, clock.GetUtcNow());
                (cell.Status, cell.BatchId, cell.StartedAt, cell.Error, cell.CompletedAt) = (SweepCellStatus.Running, batch.BatchId, clock.GetUtcNow(), null, null);
                await db.SaveChangesAsync(cancellationToken);
                await BatchParts.Send(send, batch, cancellationToken);

                logger.LogInformation("sweep {Sweep}: cell {Cell} submitted as batch {Batch}", key, cell.Name, batch.BatchId);
            }

            await WaitFor(cell, key, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }

        await SweepRecords.Finish(db, sweep, cells, clock.GetUtcNow(), cancellationToken);
        logger.LogInformation("sweep {Sweep} {Status}: {Completed} of {Cells} cells completed", key, sweep.Status, cells.Count(c => c.Status == SweepCellStatus.Completed), cells.Count);
        if (sweep.Status == "completed")
        {
            await context.Scheduler.TriggerJob(PolicyFitJob.Key, new JobDataMap { [PolicyFitJob.SweepKey] = key }, cancellationToken);
        }
    }

    /// <summary>
    /// The time the fire was scheduled for; for a recovered fire, the original fire's (so it resumes the
    /// same sweep). Quartz.NET records it in the recovery's job data as the DateTimeOffset's invariant
    /// text, and also starts the recovery trigger at it.
    /// </summary>
    private static DateTimeOffset ScheduledFor(IJobExecutionContext context) =>
        context.Recovering && context.MergedJobDataMap.TryGetValue(SchedulerConstants.FailedJobOriginalTriggerScheduledFireTime, out var original)
            && DateTimeOffset.TryParse(original?.ToString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var scheduled)
            ? scheduled
            : context.ScheduledFireTimeUtc ?? context.FireTimeUtc;

    /// <summary>Waits until the cell's batch has ended and records its result (or why it failed).</summary>
    private async Task WaitFor(SweepCell cell, string key, CancellationToken ct)
    {
        var deadline = (cell.StartedAt ?? clock.GetUtcNow()) + TimeSpan.FromMinutes(options.Value.CellTimeoutMinutes);
        while (true)
        {
            var batch = await db.Batches.AsNoTracking().Where(b => b.Id == cell.BatchId).Select(b => new { b.Status, b.RejectionReason }).SingleOrDefaultAsync(ct);
            if (batch?.Status == BatchStatus.Completed)
            {
                var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == cell.BatchId).GroupBy(r => 1)
                    .Select(g => new { Count = g.Count(), Correct = g.Count(r => r.Correct == true), Tokens = g.Sum(r => r.GeneratedTokens), Flops = g.Sum(r => r.Flops) })
                    .SingleAsync(ct);
                SweepRecords.Complete(cell, cell.BatchId!.Value, runs.Count, (double)runs.Correct / Math.Max(1, runs.Count), runs.Tokens, runs.Flops, clock.GetUtcNow());
                logger.LogInformation("sweep {Sweep}: cell {Cell} completed: {Accuracy:P1} on {Problems} problems", key, cell.Name, cell.Accuracy, runs.Count);
                return;
            }

            if (batch?.Status is BatchStatus.Rejected or BatchStatus.Cancelled)
            {
                SweepRecords.Fail(cell, $"batch {cell.BatchId} was {batch.Status}{(batch.RejectionReason is { } why ? $": {why}" : "")}", clock.GetUtcNow());
                logger.LogWarning("sweep {Sweep}: cell {Cell} failed: {Error}", key, cell.Name, cell.Error);
                return;
            }

            if (clock.GetUtcNow() > deadline)
            {
                SweepRecords.Fail(cell, $"batch {cell.BatchId} had not ended after {options.Value.CellTimeoutMinutes} minutes (Router:Sweeps:CellTimeoutMinutes)", clock.GetUtcNow());
                logger.LogWarning("sweep {Sweep}: cell {Cell} failed: {Error}", key, cell.Name, cell.Error);
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), ct);
        }
    }
}
