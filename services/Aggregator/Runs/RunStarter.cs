using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Controllers;
using Platform.Storage;
using Platform.Storage.Entities;

using Platform.Operations.Redrive;
using Platform.Operations.Usage;

namespace Platform.Aggregator.Runs;

/// <summary>A RunPlanned message with the context it arrived in.</summary>
public sealed record PlannedRun(ConsumeContext Context, RunPlanned Planned);

/// <summary>
/// Starts planned runs: the strategy's controller is created from the plan, its first request stored as
/// round 0 with the controller's state, the run moved from planned to running, and the request sent.
/// </summary>
public sealed class RunStarter(PlatformDbContext db, TimeProvider clock, IOptions<AggregatorOptions> options, RunOutcomes outcomes, RunPlans plans,
    ILogger<RunStarter> logger)
{
    private readonly bool _fused = options.Value.FusedScoring;

    /// <summary>
    /// Many planned runs started in one transaction: the runs and any round 0 they already have (a
    /// redelivered RunPlanned) read in two queries, the new rounds inserted in one SaveChanges, planned →
    /// running in one update; then each run's first request is sent. A run that has ended, is missing, or
    /// whose plan its controller refuses is started alone (where it is republished, ignored or failed);
    /// when the insert or the update races with another Aggregator or a cancellation, the transaction is
    /// rolled back and every message is taken alone.
    /// </summary>
    public async Task StartMany(IReadOnlyList<PlannedRun> messages, CancellationToken ct)
    {
        if (messages.Count == 1)
        {
            await Start(messages[0]);
            return;
        }

        var distinct = messages.DistinctBy(m => m.Planned.RunId).ToList(); // a redelivery beside its original: one start sends for both
        var ids = distinct.Select(m => m.Planned.RunId).ToList();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var runs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.Status }).ToDictionaryAsync(r => r.Id, r => r.Status, ct);
        var existing = (await db.RunRounds.AsNoTracking().Where(r => ids.Contains(r.RunId) && r.Index == 0).ToListAsync(ct))
            .GroupBy(r => r.RunId).ToDictionary(g => g.Key, g => g.First());
        var alone = new List<PlannedRun>();
        var sends = new List<(ConsumeContext Context, RunRound Round)>();
        var fresh = new Dictionary<Guid, RunRequest>(); // the requests built here: sent as they are, not read back from their JSON
        var planned = new List<Guid>();
        foreach (var message in distinct)
        {
            var runId = message.Planned.RunId;
            if (!runs.TryGetValue(runId, out var status) || RunStatus.IsEnded(status))
            {
                alone.Add(message);
                continue;
            }

            if (!existing.TryGetValue(runId, out var round))
            {
                try
                {
                    (round, var request) = FirstRound(message.Planned);
                    fresh[round.Id] = request;
                }
                catch (ArgumentException)
                {
                    alone.Add(message); // fails there, with the reason
                    continue;
                }

                db.RunRounds.Add(round);
            }

            if (status == RunStatus.Planned)
            {
                planned.Add(runId);
            }

            sends.Add((message.Context, round));
        }

        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            await StartAlone(tx, messages, ct); // another Aggregator started one of these runs meanwhile
            return;
        }

        var moved = planned.Count == 0 ? 0 : await MoveToRunning(planned, ct);
        if (moved != planned.Count)
        {
            await StartAlone(tx, messages, ct); // some were started elsewhere or cancelled since they were read
            return;
        }

        await tx.CommitAsync(ct);
        foreach (var (context, round) in sends)
        {
            await SendIfPending(context, round, fresh.GetValueOrDefault(round.Id));
        }

        foreach (var message in alone)
        {
            await Start(message);
        }
    }

    /// <summary>One planned run, where every race is decided by its own conditional statements.</summary>
    private async Task Start(PlannedRun message)
    {
        var (context, planned) = message;
        using var scope = PlatformTelemetry.Scope(logger, planned.BatchId, planned.RunId);
        var ct = context.CancellationToken;
        var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == planned.RunId, ct);
        if (run is null)
        {
            logger.LogError("run {RunId} is not in the database; RunPlanned ignored", planned.RunId);
            return;
        }

        if (RunStatus.IsEnded(run.Status))
        {
            await outcomes.Republish(context, run);
            return;
        }

        RunRound first;
        RunRequest request;
        try
        {
            (first, request) = FirstRound(planned);
        }
        catch (ArgumentException e)
        {
            await using var failTx = await db.Database.BeginTransactionAsync(ct);
            run = await db.Runs.Include(r => r.Problem).SingleAsync(r => r.Id == planned.RunId, ct);
            await outcomes.FailAndPublish(context, failTx, run, $"strategy settings: {e.Message}");
            return;
        }

        // The unique (run, round, kind) key makes a redelivered RunPlanned find the round it created.
        var (round, _) = await db.InsertOnceAsync(first, r => r.RunId == run.Id && r.Index == 0 && r.Kind == first.Kind, ct);

        // Planned -> running only from planned: a cancellation that ended the run since it was read wins.
        if (run.Status == RunStatus.Planned && await MoveToRunning([run.Id], ct) == 0
            && RunStatus.IsEnded(await db.Runs.Where(r => r.Id == run.Id).Select(r => r.Status).SingleAsync(ct)))
        {
            return;
        }

        await SendIfPending(context, round, round.Id == first.Id ? request : null);
    }

    private Task<int> MoveToRunning(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.Runs.Where(r => ids.Contains(r.Id) && r.Status == RunStatus.Planned)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Running).SetProperty(r => r.UpdatedAt, now), ct);
    }

    /// <summary>Sends a pending round's request: as built (<paramref name="built"/>, a round made here), else read back from its stored JSON (a round made before).</summary>
    private static Task SendIfPending(ConsumeContext context, RunRound round, RunRequest? built) =>
        round.Status != RoundStatus.Pending ? Task.CompletedTask
        : built is not null ? RoundRequests.Send(context, built.Body)
        : round.RequestJson is { } json ? RoundRequests.Resend(context, round.Kind, json) : Task.CompletedTask;

    /// <summary>Round 0 of a planned run: its controller created from the plan, its first request and its state; ArgumentException for a plan it refuses.</summary>
    private (RunRound Round, RunRequest Request) FirstRound(RunPlanned planned)
    {
        var plan = plans.Started(planned.RunId, planned.Plan);
        var controller = ControllerRegistry.Create(plan.Plan);
        var first = controller.Start();
        var request = RunMessages.Message(planned.RunId, plan, planned.ProblemText, controller, first, 0, _fused);
        return (RunMessages.Round(planned.RunId, 0, request, ControllerRegistry.Save(controller), clock.GetUtcNow()), request);
    }

    private async Task StartAlone(IDbContextTransaction tx, IReadOnlyList<PlannedRun> messages, CancellationToken ct)
    {
        await tx.RollbackAsync(ct);
        db.ChangeTracker.Clear();
        foreach (var message in messages)
        {
            await Start(message);
        }
    }
}
