using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.Consumers;

/// <summary>
/// Stores a submitted batch and plans it in chunks: each chunk's problems and runs are committed and
/// their plans published before the next chunk is planned, so the first runs start within a second
/// whatever the batch size. A redelivered batch resumes: the plans already stored are published again
/// (starting a run twice is harmless) and planning continues after the last stored problem.
/// </summary>
public sealed class SubmitBatchConsumer(PlatformDbContext db, BatchPlanner planner, ILogger<SubmitBatchConsumer> logger) : IConsumer<SubmitBatch>
{
    public const int ChunkSize = 2000;

    /// <summary>The first chunk: small, so the first runs are dispatched within moments; chunks then double up to <see cref="ChunkSize"/>.</summary>
    public const int FirstChunkSize = 125;

    public async Task Consume(ConsumeContext<SubmitBatch> context)
    {
        var submit = context.Message;
        var ct = context.CancellationToken;
        var stored = submit.BatchId == Guid.Empty ? null : await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == submit.BatchId, ct);
        if (stored is null)
        {
            var batch = planner.NewBatch(submit);
            var rejection = planner.Validate(submit);
            if (rejection is not null)
            {
                planner.Reject(batch, rejection);
            }

            db.Batches.Add(batch);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.IsUniqueViolation())
            {
                db.ChangeTracker.Clear(); // a concurrent delivery stored it first: continue as a redelivery
            }

            db.ChangeTracker.Clear();
            stored = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == submit.BatchId, ct);
        }

        if (stored.Status == BatchStatus.Rejected)
        {
            var (field, reason) = stored.RejectionReason!.Split(": ", 2) is [var f, var r] ? (f, r) : ("", stored.RejectionReason);
            logger.LogWarning("batch {BatchId} rejected: {Field}: {Reason}", submit.BatchId, field, reason);
            await context.Publish(new BatchRejected { BatchId = submit.BatchId, Field = field, Reason = reason }, ct);
            return;
        }

        // This message's problems are [Offset, Offset + count) of the batch (a part, or all of it).
        var first = submit.Offset;
        var end = submit.Offset + submit.Problems.Count;
        var done = await db.Problems.CountAsync(p => p.BatchId == submit.BatchId && p.Index >= first && p.Index < end, ct);
        if (done > 0)
        {
            // A redelivery: what was stored before is announced again.
            await PublishRuns(context, db.Runs.AsNoTracking().Where(r => r.BatchId == submit.BatchId && r.Problem!.Index >= first && r.Problem.Index < end)
                .Include(r => r.Problem).OrderBy(r => r.Problem!.Index));
        }
        else if (first == 0)
        {
            await context.Publish(new BatchAccepted { BatchId = stored.Id, ProblemCount = stored.ProblemCount, AcceptedAt = stored.SubmittedAt }, ct);
        }

        var batchRow = new Batch { Id = stored.Id };
        var refused = 0;
        var chunk = first == 0 && done == 0 ? FirstChunkSize : ChunkSize; // only the batch's start needs to hurry
        for (var from = done; from < submit.Problems.Count; from += chunk, chunk = Math.Min(2 * chunk, ChunkSize))
        {
            var runs = planner.PlanRange(submit, batchRow, from, Math.Min(chunk, submit.Problems.Count - from));
            var chunkRefused = runs.Count(r => r.Plan is null);
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                await db.InsertManyAsync(runs.Select(r => r.Problem).ToList(), ct);
                await db.InsertManyAsync(runs.Select(r => r.Run).ToList(), ct);
                if (chunkRefused > 0)
                {
                    await db.Batches.Where(b => b.Id == stored.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(b => b.RunsEnded, b => b.RunsEnded + chunkRefused), ct);
                }

                await tx.CommitAsync(ct);
            }

            db.ChangeTracker.Clear();
            refused += chunkRefused;
            await Task.WhenAll(runs.Select(r => Announce(context, r.Run, r.Problem, r.Plan)));
        }

        logger.LogInformation("batch {BatchId}: {Runs} problems planned, {Refused} refused", submit.BatchId, submit.Problems.Count - done, refused);
    }

    private static async Task PublishRuns(ConsumeContext context, IQueryable<Run> runs)
    {
        await foreach (var run in runs.AsAsyncEnumerable().WithCancellation(context.CancellationToken))
        {
            var plan = run.PlanJson == "{}" ? null : JsonSerializer.Deserialize<StrategyPlan>(run.PlanJson, BatchPlanner.Json);
            if (plan is null || run.Status == RunStatus.Planned)
            {
                await Announce(context, run, run.Problem!, plan);
            }
        }
    }

    /// <summary>RunPlanned for a planned run; RunFailed for a problem refused at planning.</summary>
    private static Task Announce(ConsumeContext context, Run run, Problem problem, StrategyPlan? plan) => plan is null
        ? context.Publish(new RunFailed { BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, Reason = run.FailureReason ?? "" }, context.CancellationToken)
        : context.Publish(new RunPlanned
        {
            BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, ProblemText = problem.Text, ReferenceAnswer = problem.ReferenceAnswer, Plan = plan,
            Difficulty = new DifficultyEstimate { Bin = run.DifficultyBin, Score = run.DifficultyScore, Source = run.DifficultySource },
        }, context.CancellationToken);
}

/// <summary>Several batches at once; each chunk's plans leave as soon as the chunk is stored (no outbox: redelivery republishes).</summary>
public sealed class SubmitBatchConsumerDefinition() : PlatformConsumerDefinition<SubmitBatchConsumer>(QueueNames.SubmitBatch, 4)
{
    protected override bool HoldMessagesUntilDone => false;
}
