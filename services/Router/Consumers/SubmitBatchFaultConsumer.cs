using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Planning;
using Platform.Router.Planning;
using Platform.Storage;

namespace Platform.Router.Consumers;

/// <summary>
/// A SubmitBatch that failed after every retry (its message is in the submit-batch_error queue): the batch
/// still reaches a terminal state. Its problems that were not stored are stored with failed runs giving the
/// fault, so the batch completes with every problem accounted for; a batch that was never stored is stored
/// as rejected with the fault, so <c>GET /batches/{id}</c> says why instead of 404.
/// </summary>
public sealed class SubmitBatchFaultConsumer(PlatformDbContext db, BatchPlanner planner, ILogger<SubmitBatchFaultConsumer> logger) : IConsumer<Fault<SubmitBatch>>
{
    public async Task Consume(ConsumeContext<Fault<SubmitBatch>> context)
    {
        var submit = SubmitBatchConsumer.WithProblemList(context.Message.Message);
        var ct = context.CancellationToken;
        var first = submit.Offset;
        var end = submit.Offset + submit.Problems.Count;
        var fault = string.Join("; ", (context.Message.Exceptions ?? []).OfType<ExceptionInfo>().Select(e => $"{e.ExceptionType}: {e.Message}")) is { Length: > 0 } text
            ? text : "no exception given";
        var reason = $"the Router could not plan problems {first}..{end - 1} of the batch after its retries ({fault}); the message is in {QueueNames.SubmitBatch}_error";
        var stored = await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == submit.BatchId, ct);
        if (stored is null)
        {
            var batch = planner.NewBatch(submit);
            var rejection = new BatchRejected { BatchId = submit.BatchId, Field = "Batch", Reason = StorableText.Storable(reason)! };
            planner.Reject(batch, rejection);
            db.Batches.Add(batch);
            await db.SaveChangesAsync(ct);
            logger.LogWarning("batch {BatchId} rejected: {Reason}", submit.BatchId, reason);
            await context.Publish(rejection, ct);
            return;
        }

        if (stored.Status != Platform.Storage.Entities.BatchStatus.Accepted)
        {
            return; // rejected, cancelled or completed: nothing waits on this part
        }

        var done = await db.Problems.CountAsync(p => p.BatchId == submit.BatchId && p.Index >= first && p.Index < end, ct);
        if (done < submit.Problems.Count)
        {
            var runs = planner.FailRange(submit, stored, done, submit.Problems.Count - done, reason);
            await SubmitBatchConsumer.Store(context, db, stored.Id, runs, ct);
            logger.LogWarning("batch {BatchId}: problems {From}..{To} failed: {Reason}", submit.BatchId, first + done, end - 1, reason);
        }
    }
}

public sealed class SubmitBatchFaultConsumerDefinition() : PlatformConsumerDefinition<SubmitBatchFaultConsumer>(null, 1);
