using System.Text.Json;
using MassTransit;
using Platform.Hosting;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.Consumers;

/// <summary>
/// Stores a submitted batch with a planned run per problem and announces the plans. A batch seen
/// before (redelivery) is not stored again: its stored outcome is published again instead.
/// </summary>
public sealed class SubmitBatchConsumer(PlatformDbContext db, BatchPlanner planner, ILogger<SubmitBatchConsumer> logger) : IConsumer<SubmitBatch>
{
    public async Task Consume(ConsumeContext<SubmitBatch> context)
    {
        var submit = context.Message;
        var ct = context.CancellationToken;
        if (submit.BatchId != Guid.Empty && await db.Batches.AnyAsync(b => b.Id == submit.BatchId, ct))
        {
            logger.LogInformation("batch {BatchId} was already stored; publishing its outcome again", submit.BatchId);
            await PublishStored(context, submit.BatchId);
            return;
        }

        var decision = planner.Plan(submit);
        db.Batches.Add(decision.Batch);
        db.Problems.AddRange(decision.Runs.Select(r => r.Problem));
        db.Runs.AddRange(decision.Runs.Select(r => r.Run));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            db.ChangeTracker.Clear();
            await PublishStored(context, submit.BatchId);
            return;
        }

        if (decision.Rejection is { } rejection)
        {
            logger.LogWarning("batch {BatchId} rejected: {Field}: {Reason}", submit.BatchId, rejection.Field, rejection.Reason);
        }
        else
        {
            logger.LogInformation("batch {BatchId}: {Runs} runs planned, {Failed} refused", submit.BatchId,
                decision.Runs.Count(r => r.Plan is not null), decision.Runs.Count(r => r.Plan is null));
        }

        await PublishStored(context, submit.BatchId);
    }

    /// <summary>Publishes what the database holds for the batch: its rejection, or its acceptance, plans and refused runs.</summary>
    private async Task PublishStored(ConsumeContext context, Guid batchId)
    {
        var ct = context.CancellationToken;
        var batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId, ct);
        if (batch.Status == BatchStatus.Rejected)
        {
            var (field, reason) = batch.RejectionReason!.Split(": ", 2) is [var f, var r] ? (f, r) : ("", batch.RejectionReason);
            await context.Publish(new BatchRejected { BatchId = batchId, Field = field, Reason = reason }, ct);
            return;
        }

        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == batchId).Include(r => r.Problem).OrderBy(r => r.Problem!.Index).ToListAsync(ct);
        var refused = runs.Count(r => r.Status == RunStatus.Failed && r.PlanJson == "{}");
        await context.Publish(new BatchAccepted
        {
            BatchId = batchId, ProblemCount = batch.ProblemCount, RejectedProblemCount = refused, AcceptedAt = batch.SubmittedAt,
        }, ct);
        foreach (var run in runs)
        {
            if (run.PlanJson == "{}")
            {
                await context.Publish(new RunFailed { BatchId = batchId, RunId = run.Id, ProblemId = run.ProblemId, Reason = run.FailureReason ?? "" }, ct);
            }
            else if (run.Status == RunStatus.Planned)
            {
                await context.Publish(new RunPlanned
                {
                    BatchId = batchId, RunId = run.Id, ProblemId = run.ProblemId, ProblemText = run.Problem!.Text,
                    ReferenceAnswer = run.Problem.ReferenceAnswer,
                    Plan = JsonSerializer.Deserialize<StrategyPlan>(run.PlanJson, BatchPlanner.Json)!,
                    Difficulty = new DifficultyEstimate { Bin = run.DifficultyBin, Score = run.DifficultyScore, Source = run.DifficultySource },
                }, ct);
            }
        }
    }
}

/// <summary>Many messages in flight at once; shared retry and outbox policy.</summary>
public sealed class SubmitBatchConsumerDefinition() : PlatformConsumerDefinition<SubmitBatchConsumer>(QueueNames.SubmitBatch, 4, 200, 1000, 3000);
