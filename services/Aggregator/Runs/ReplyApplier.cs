using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Answers;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;
using Platform.Storage;
using Platform.Storage.Entities;

using Platform.Operations.Redrive;
using Platform.Operations.Usage;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Applies the Generator's and the Verifier's replies to their runs, one reply or many by the same path:
/// every reply is claimed exactly once (its round moves from pending to done in the transaction that
/// stores its results); the run's controller, loaded from the claimed round's state, takes the reply;
/// what it reports is stored (<see cref="CandidateRows"/>), and the next request is stored as a round
/// and sent, or the run ends (<see cref="RunOutcomes"/>). A reply whose round is already done is a
/// duplicate, and the run's current outcome is published again.
/// </summary>
public sealed class ReplyApplier(PlatformDbContext db, TimeProvider clock, IOptions<AggregatorOptions> options, IOptions<MessagingOptions> messaging, RunOutcomes outcomes,
    RunPlans plans, ILogger<ReplyApplier> logger)
{
    private readonly bool _fused = options.Value.FusedScoring;
    private readonly AffinityOptions _affinity = messaging.Value.Affinity;

    /// <summary>A run whose controller took its reply and asked for what comes next.</summary>
    private sealed record Step(Reply Reply, Run Run, StrategyController Controller, ControllerRequest Next, RunRequest? Request);

    /// <summary>A run that ends with this batch of replies.</summary>
    private sealed record Ending(Reply Reply, Run Run, string Status);

    /// <summary>
    /// Replies of many runs at once, in one transaction with set-based statements: claim every pending
    /// round in one update, load the runs in one query, let each run's controller take its reply, store
    /// the new candidates and step scores by COPY, the usage, rounds and runs in one SaveChanges, end the
    /// finished runs in one update per status and count them per batch; then send the next requests and
    /// publish the outcomes. Replies whose round is no longer pending (duplicates) go the duplicate way
    /// afterwards. When a claim or an end races with another consumer or a cancellation, the transaction
    /// is rolled back and each reply is taken alone, where the conditional updates decide one by one.
    /// </summary>
    public async Task OnReplies(IReadOnlyList<Reply> replies, CancellationToken ct)
    {
        var distinct = replies.DistinctBy(r => r.RequestId).ToList();
        var repeated = replies.Where(r => !distinct.Contains(r)).ToList(); // a redelivery beside its original in one batch
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var pending = await Claim(distinct, now, ct);
        if (pending is null)
        {
            await Alone(tx, replies, ct); // another consumer claimed some of them meanwhile
            return;
        }

        var mine = distinct.Where(r => pending.ContainsKey(r.RequestId)).ToList();
        var runIds = mine.Select(r => r.RunId).Distinct().ToList();
        var runs = runIds.Count == 0 ? [] : await db.Runs.Include(r => r.Problem).Where(r => runIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        var ending = new List<Ending>();
        var steps = Apply(mine, runs, pending, ending, now);
        var sends = await Store(steps, ending, now, ct);
        if (!await EndRuns(ending, replies, now, ct))
        {
            await Alone(tx, replies, ct); // some were cancelled meanwhile: each reply alone decides what it may record
            return;
        }

        await db.SaveChangesAsync(ct);
        var completedBatches = new List<(Reply Reply, Guid BatchId)>();
        foreach (var batch in ending.GroupBy(e => e.Run.BatchId))
        {
            if (await BatchCounters.CountEnded(db, batch.Key, batch.Count(), now, ct))
            {
                completedBatches.Add((batch.First().Reply, batch.Key));
            }
        }

        await tx.CommitAsync(ct);

        // After the commit (and, with the in-memory outbox, once the consumer is done): the next requests and the outcomes.
        foreach (var (reply, request) in sends)
        {
            await RoundRequests.Send(reply.Context, request.Body, request.Worker);
        }

        foreach (var (reply, run, status) in ending)
        {
            await outcomes.Published(reply.Context, run, status);
        }

        foreach (var (reply, batchId) in completedBatches)
        {
            await BatchCounters.PublishCompleted(reply.Context, db, batchId, logger, ct);
        }

        foreach (var reply in distinct.Where(r => !pending.ContainsKey(r.RequestId)).Concat(repeated))
        {
            await Duplicate(reply, ct);
        }
    }

    /// <summary>Claims every pending round of the replies in one update: their controller states by request id, or null when another consumer claimed one first.</summary>
    private async Task<Dictionary<Guid, string?>?> Claim(IReadOnlyList<Reply> replies, DateTimeOffset now, CancellationToken ct)
    {
        var ids = replies.Select(r => r.RequestId).ToList();
        var pending = (await db.RunRounds.AsNoTracking().Where(r => ids.Contains(r.RequestId) && r.Status == RoundStatus.Pending)
            .Select(r => new { r.RequestId, r.StateJson }).ToListAsync(ct)).ToDictionary(r => r.RequestId, r => r.StateJson);
        var pendingIds = pending.Keys.ToList();
        var claimed = pendingIds.Count == 0 ? 0 : await db.RunRounds.Where(r => pendingIds.Contains(r.RequestId) && r.Status == RoundStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RoundStatus.Done).SetProperty(r => r.CompletedAt, now), ct);
        return claimed == pendingIds.Count ? pending : null;
    }

    /// <summary>Records each reply's compute, then lets its run's controller take it; a reply that cannot go on fails its run alone.</summary>
    private List<Step> Apply(IReadOnlyList<Reply> replies, IReadOnlyDictionary<Guid, Run> runs, IReadOnlyDictionary<Guid, string?> states, List<Ending> ending,
        DateTimeOffset now)
    {
        var steps = new List<Step>();
        void FailRun(Reply reply, Run run, string reason)
        {
            outcomes.RecordFailure(run, reason);
            ending.Add(new Ending(reply, run, RunStatus.Failed));
        }

        foreach (var reply in replies)
        {
            if (!runs.TryGetValue(reply.RunId, out var run))
            {
                logger.LogWarning("reply to request {RequestId} names run {RunId}, which is not in the database; ignored", reply.RequestId, reply.RunId);
                continue;
            }

            using var scope = PlatformTelemetry.Scope(logger, run.BatchId, run.Id);
            RunWorkers.Remember(run, reply, now, _affinity);
            db.ComputeUsage.Add(RunUsage.Add(run, reply.Round, reply.Kind, reply.RequestId, reply.Usage, now, RunWorkers.Named(reply)));
            if (reply.Scoring is { } passing)
            {
                db.ComputeUsage.Add(RunUsage.Add(run, passing.Round, passing.Kind, passing.RequestId, passing.Usage, now, RunWorkers.Named(passing)));
            }

            if (RunStatus.IsEnded(run.Status) || ending.Any(e => e.Run == run))
            {
                continue; // a reply for a run that ended meanwhile (cancelled, or failed by a fault): its compute is kept, nothing follows
            }

            if (reply.Failed is { } failed)
            {
                FailRun(reply, run, $"{failed.What} failed: {failed.Error}");
            }
            else if (states[reply.RequestId] is not { } state)
            {
                FailRun(reply, run, $"round {reply.Round} ({reply.Kind}) has no controller state");
            }
            else if (reply.Samples is { Count: 0 })
            {
                FailRun(reply, run, "generation returned no samples");
            }
            else
            {
                try
                {
                    steps.Add(Take(reply, run, ControllerRegistry.Load(state)));
                }
                catch (Exception e) when (e is not OutOfMemoryException && !Transience.IsInfrastructure(e))
                {
                    // This reply alone cannot go on (a retry would fail the same way): its run fails, the rest of the batch goes on.
                    FailRun(reply, run, $"the {run.Strategy} controller could not take the {reply.What} reply: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        return steps;
    }

    /// <summary>The controller takes the reply (samples, scores, or both at once) and says what follows, built as a message for the next round.</summary>
    private Step Take(Reply reply, Run run, StrategyController controller)
    {
        var plan = plans.For(run);
        var window = plan.Confidence.Window;
        List<Continuation> Continuations(IReadOnlyList<GeneratedSample> samples) =>
            [.. samples.Select(x => new Continuation(x.PrefixKey, x.SampleIndex, x.Text, x.TokenCount, x.FinishReason,
                x.LogProbs is { Length: > 0 } packed ? TraceConfidence.Of(TokenLogProbs.Unpack(packed).Confidences, window, window) : null, x.LogProbs, x.Rollout))];
        var next = (reply.Samples, reply.Scoring) switch
        {
            ({ } samples, { } scored) => controller.OnGeneratedAndScored(Continuations(samples), ScoresBySample(samples, scored.Scores!), scored.Kind).Next,
            ({ } samples, null) => controller.OnGenerated(Continuations(samples)),
            _ => controller.OnScored(reply.Scores!.ToDictionary(x => x.Key, x => x.StepScores)),
        };
        var request = next is FinishRun ? null : RunMessages.Message(run.Id, plan, run.Problem!.Text, controller, next, reply.NextRound, _fused, run);
        return new Step(reply, run, controller, next, request);
    }

    /// <summary>
    /// Stores what the controllers reported (candidates and step scores by COPY), completes the runs
    /// that finished (selected candidate, graded answer), and adds each next round; the requests to send.
    /// </summary>
    private async Task<List<(Reply Reply, RunRequest Request)>> Store(IReadOnlyList<Step> steps, List<Ending> ending, DateTimeOffset now, CancellationToken ct)
    {
        var rows = await CandidateRows.ForSteps(db, steps.Select(s => (s.Run, s.Controller, s.Next)).ToList(), ct);
        var sends = new List<(Reply, RunRequest)>();
        foreach (var (reply, run, controller, next, request) in steps)
        {
            var added = rows.Record(run, controller, reply.Round, reply.Usage.Model);
            if (next is FinishRun finish)
            {
                if (finish.Node is { } key && rows.Find(run, key, added) is { } chosen)
                {
                    chosen.Selected = true;
                }

                run.Answer = finish.Answer;
                run.Correct = run.Problem!.ReferenceAnswer is { } reference ? AnswerEquivalence.Equivalent(reference, finish.Answer) : null;
                ending.Add(new Ending(reply, run, RunStatus.Completed));
                continue;
            }

            db.RunRounds.Add(RunMessages.Round(run.Id, reply.NextRound, request!, ControllerRegistry.Save(controller), now));
            run.CurrentRound = reply.NextRound;
            run.UpdatedAt = now;
            sends.Add((reply, request!));
        }

        // New rows by COPY on PostgreSQL (one round trip each, no change tracking), inside the transaction.
        await rows.Insert(db, ct);
        return sends;
    }

    /// <summary>
    /// Ends the finished runs, one conditional update per status. False when a cancellation ended one of
    /// them first and other replies share the transaction (they must then be taken alone); a lone reply's
    /// run keeps its compute but not its outcome.
    /// </summary>
    private async Task<bool> EndRuns(List<Ending> ending, IReadOnlyList<Reply> replies, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var group in ending.GroupBy(e => e.Status))
        {
            var endIds = group.Select(e => e.Run.Id).ToList();
            if (await outcomes.EndWhereRunning(endIds, group.Key, now, ct) != endIds.Count)
            {
                if (replies.Count > 1)
                {
                    return false;
                }

                outcomes.KeepOutcomeOut(group.Single().Run); // cancelled meanwhile
                ending.Clear();
                return true;
            }
        }

        foreach (var (_, run, status) in ending)
        {
            outcomes.MarkEnded(run, status, now);
        }

        return true;
    }

    /// <summary>Rolls back and takes each reply alone (a batch of one, where every race is decided by its own conditional update).</summary>
    private async Task Alone(IDbContextTransaction tx, IReadOnlyList<Reply> replies, CancellationToken ct)
    {
        await tx.RollbackAsync(ct);
        db.ChangeTracker.Clear();
        if (replies.Count == 1)
        {
            await Duplicate(replies[0], ct); // its round was claimed by another consumer between the read and the update
            return;
        }

        foreach (var reply in replies)
        {
            await OnReplies([reply], ct);
        }
    }

    /// <summary>A reply whose round is no longer pending: the run's current outcome is published again.</summary>
    private async Task Duplicate(Reply reply, CancellationToken ct)
    {
        var context = reply.Context;
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == reply.RunId, ct);
        if (run is null || !await db.RunRounds.AnyAsync(r => r.RequestId == reply.RequestId, ct))
        {
            logger.LogWarning("reply to unknown request {RequestId} (run {RunId}) ignored", reply.RequestId, reply.RunId);
            return;
        }

        logger.LogInformation("duplicate reply to request {RequestId} of run {RunId}: publishing the run's outcome again", reply.RequestId, reply.RunId);
        await outcomes.Republish(context, run);

        // A redelivery may follow a crash between the commit that completed the batch and its publication.
        if (context.ReceiveContext.Redelivered && RunStatus.IsEnded(run.Status)
            && await db.Batches.AnyAsync(b => b.Id == run.BatchId && b.Status == BatchStatus.Completed, ct))
        {
            await BatchCounters.PublishCompleted(context, db, run.BatchId, logger, ct);
        }
    }

    /// <summary>The step scores the Verifier sent for each sample scored in passing (null for a sample it did not mention).</summary>
    private static List<IReadOnlyList<double>?> ScoresBySample(IReadOnlyList<GeneratedSample> samples, IReadOnlyList<CandidateScores> scores)
    {
        var byKey = scores.DistinctBy(s => s.Key).ToDictionary(s => s.Key, s => s.StepScores);
        return [.. samples.Select(s => byKey.GetValueOrDefault(ScoreAfterGeneration.KeyOf(s)))];
    }
}
