using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Router.Admission;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;
using Platform.Storage.Queries;

namespace Platform.Router.Consumers;

/// <summary>
/// Stores a submitted batch and plans it in chunks: each chunk's problems and runs are committed and the
/// admission scheduler woken before the next chunk is planned, so the first runs start within a second
/// whatever the batch size; the scheduler lets them out in fair turns with other batches. Problems refused
/// at planning are announced failed at once. A redelivered batch resumes: refusals already stored are
/// announced again and planning continues after the last stored problem.
/// </summary>
public sealed class SubmitBatchConsumer(PlatformDbContext db, BatchPlanner planner, AdmissionScheduler admission, TimeProvider clock, ILogger<SubmitBatchConsumer> logger) : IConsumer<SubmitBatch>
{
    public const int ChunkSize = 2000;

    /// <summary>The first chunk: small, so the first runs are dispatched within moments; chunks then double up to <see cref="ChunkSize"/>.</summary>
    public const int FirstChunkSize = 125;

    public async Task Consume(ConsumeContext<SubmitBatch> context)
    {
        var submit = WithProblemList(context.Message);
        var ct = context.CancellationToken;
        var stored = submit.BatchId == Guid.Empty ? null : await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == submit.BatchId, ct);
        if (stored is null)
        {
            var batch = planner.NewBatch(submit);
            batch.TraceParent = System.Diagnostics.Activity.Current?.Id; // the runs let out later join the submission's trace
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
            // A redelivery: the refusals stored before are announced again (the planned runs wait for the scheduler).
            await foreach (var run in db.Runs.AsNoTracking().Where(r => r.BatchId == submit.BatchId && r.PlanJson == "{}" && r.Problem!.Index >= first && r.Problem.Index < end)
                               .AsAsyncEnumerable().WithCancellation(ct))
            {
                await Refused(context, run, ct);
            }

            admission.Wake();
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
            refused += await Store(context, db, stored.Id, runs, ct);
            await CancelledMeanwhile(db, stored.Id, ct);
            admission.Wake();
        }

        logger.LogInformation("batch {BatchId}: {Runs} problems planned, {Refused} refused", submit.BatchId, submit.Problems.Count - done, refused);
    }

    /// <summary>
    /// Stores a chunk's problems and runs in one transaction (the refused ones counted as ended in it), then
    /// announces the refused runs; returns how many were refused.
    /// </summary>
    public static async Task<int> Store(IPublishEndpoint publish, PlatformDbContext db, Guid batchId, IReadOnlyList<(Run Run, Problem Problem, StrategyPlan? Plan)> runs,
        CancellationToken ct)
    {
        var refused = runs.Count(r => r.Plan is null);
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await db.InsertManyAsync(runs.Select(r => r.Problem).ToList(), ct);
            await db.InsertManyAsync(runs.Select(r => r.Run).ToList(), ct);
            if (refused > 0)
            {
                await db.Batches.Where(b => b.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(b => b.RunsEnded, b => b.RunsEnded + refused), ct);
            }

            await tx.CommitAsync(ct);
        }

        db.ChangeTracker.Clear();
        await Task.WhenAll(runs.Where(r => r.Plan is null).Select(r => Refused(publish, r.Run, ct)));
        return refused;
    }

    /// <summary>
    /// A batch cancelled while its problems were still being stored (its row is stored first): the runs stored
    /// since are cancelled too, so none of them is let out and the batch's count of ended runs adds up.
    /// </summary>
    private async Task CancelledMeanwhile(PlatformDbContext db, Guid batchId, CancellationToken ct)
    {
        if (await db.Batches.AsNoTracking().AnyAsync(b => b.Id == batchId && b.Status == BatchStatus.Cancelled, ct))
        {
            await BatchQueries.Cancel(db, batchId, clock.GetUtcNow(), ct);
        }
    }

    /// <summary>The message with an empty problem list where a sender on the bus wrote <c>"problems": null</c> (then rejected for having no problems).</summary>
    public static SubmitBatch WithProblemList(SubmitBatch submit) => submit.Problems is null ? submit with { Problems = [] } : submit;

    /// <summary>RunFailed for a problem refused at planning.</summary>
    private static Task Refused(IPublishEndpoint publish, Run run, CancellationToken ct) =>
        publish.Publish(new RunFailed { BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, Reason = run.FailureReason ?? "" }, ct);
}

/// <summary>Several batches at once; each chunk is stored before the next is planned (no outbox: a redelivery announces its refusals again).</summary>
public sealed class SubmitBatchConsumerDefinition() : PlatformConsumerDefinition<SubmitBatchConsumer>(QueueNames.SubmitBatch, 4)
{
    protected override bool HoldMessagesUntilDone => false;
}
