using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Hosting;
using Microsoft.EntityFrameworkCore.Storage;
using Platform.Reasoning.Answers;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Policy;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Drives every run the same way, whatever its strategy: the strategy's controller (Platform.Reasoning)
/// is created from the plan, saved with every round it asks for, and loaded again when that round's
/// reply arrives; the driver stores what the controller reports (new candidates, their scores, the
/// compute of the reply), then sends the next request or completes the run. Every reply is claimed
/// exactly once (its round moves from pending to done in the transaction that stores its results); a
/// reply whose round is already done is a duplicate, and the run's current outcome is published again.
/// </summary>
public sealed class RunDriver(PlatformDbContext db, TimeProvider clock, IOptions<AggregatorOptions> options, ILogger<RunDriver> logger)
{
    private readonly bool _fused = options.Value.FusedScoring;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task Start(ConsumeContext context, RunPlanned planned)
    {
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
            await Republish(context, run);
            return;
        }

        RunRound first;
        try
        {
            first = FirstRound(planned);
        }
        catch (ArgumentException e)
        {
            await using var failTx = await db.Database.BeginTransactionAsync(ct);
            run = await db.Runs.Include(r => r.Problem).SingleAsync(r => r.Id == planned.RunId, ct);
            await FailAndPublish(context, failTx, run, $"strategy settings: {e.Message}");
            return;
        }

        // The unique (run, round, kind) key makes a redelivered RunPlanned find the round it created.
        var (round, _) = await db.InsertOnceAsync(first, r => r.RunId == run.Id && r.Index == 0 && r.Kind == first.Kind, ct);
        // Planned -> running only from planned: a cancellation that ended the run since it was read wins.
        if (run.Status == RunStatus.Planned
            && await db.Runs.Where(r => r.Id == run.Id && r.Status == RunStatus.Planned)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Running).SetProperty(r => r.UpdatedAt, clock.GetUtcNow()), ct) == 0
            && RunStatus.IsEnded(await db.Runs.Where(r => r.Id == run.Id).Select(r => r.Status).SingleAsync(ct)))
        {
            return;
        }

        if (round.Status == RoundStatus.Pending && round.RequestJson is { } json)
        {
            await Resend(context, round.Kind, json);
        }
    }

    /// <summary>
    /// Many planned runs started in one transaction: the runs and any round 0 they already have (a
    /// redelivered RunPlanned) read in two queries, the new rounds inserted in one SaveChanges, planned →
    /// running in one update; then each run's first request is sent. A run that has ended, is missing, or
    /// whose plan its controller refuses is started alone (where it is republished, ignored or failed);
    /// when the insert or the update races with another Aggregator or a cancellation, the transaction is
    /// rolled back and every message is taken alone.
    /// </summary>
    public async Task StartMany(IReadOnlyList<(ConsumeContext Context, RunPlanned Planned)> messages, CancellationToken ct)
    {
        if (messages.Count == 1)
        {
            await Start(messages[0].Context, messages[0].Planned);
            return;
        }

        var distinct = messages.DistinctBy(m => m.Planned.RunId).ToList(); // a redelivery beside its original: one start sends for both
        var ids = distinct.Select(m => m.Planned.RunId).ToList();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var runs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.Status }).ToDictionaryAsync(r => r.Id, r => r.Status, ct);
        var existing = (await db.RunRounds.AsNoTracking().Where(r => ids.Contains(r.RunId) && r.Index == 0).ToListAsync(ct))
            .GroupBy(r => r.RunId).ToDictionary(g => g.Key, g => g.First());
        var alone = new List<(ConsumeContext Context, RunPlanned Planned)>();
        var sends = new List<(ConsumeContext Context, string Kind, string Json)>();
        var planned = new List<Guid>();
        foreach (var (context, message) in distinct)
        {
            if (!runs.TryGetValue(message.RunId, out var status) || RunStatus.IsEnded(status))
            {
                alone.Add((context, message));
                continue;
            }

            if (!existing.TryGetValue(message.RunId, out var round))
            {
                try
                {
                    round = FirstRound(message);
                }
                catch (ArgumentException)
                {
                    alone.Add((context, message)); // fails there, with the reason
                    continue;
                }

                db.RunRounds.Add(round);
            }

            if (status == RunStatus.Planned)
            {
                planned.Add(message.RunId);
            }

            if (round.Status == RoundStatus.Pending && round.RequestJson is { } json)
            {
                sends.Add((context, round.Kind, json));
            }
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

        var now = clock.GetUtcNow();
        var moved = planned.Count == 0 ? 0 : await db.Runs.Where(r => planned.Contains(r.Id) && r.Status == RunStatus.Planned)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Running).SetProperty(r => r.UpdatedAt, now), ct);
        if (moved != planned.Count)
        {
            await StartAlone(tx, messages, ct); // some were started elsewhere or cancelled since they were read
            return;
        }

        await tx.CommitAsync(ct);
        foreach (var (context, kind, json) in sends)
        {
            await Resend(context, kind, json);
        }

        foreach (var (context, message) in alone)
        {
            await Start(context, message);
        }
    }

    /// <summary>Round 0 of a planned run: its controller created from the plan, its first request and its state; ArgumentException for a plan it refuses.</summary>
    private RunRound FirstRound(RunPlanned planned)
    {
        var controller = ControllerRegistry.Create(Settings(planned.Plan));
        var first = controller.Start();
        var (requestId, body) = Message(planned.RunId, planned.Plan, planned.ProblemText, controller, first, 0, _fused);
        return NewRound(planned.RunId, 0, first.Kind, requestId, body, ControllerRegistry.Save(controller));
    }

    private async Task StartAlone(IDbContextTransaction tx, IReadOnlyList<(ConsumeContext Context, RunPlanned Planned)> messages, CancellationToken ct)
    {
        await tx.RollbackAsync(ct);
        db.ChangeTracker.Clear();
        foreach (var (context, message) in messages)
        {
            await Start(context, message);
        }
    }

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
        var ids = distinct.Select(r => r.RequestId).ToList();
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var pending = (await db.RunRounds.AsNoTracking().Where(r => ids.Contains(r.RequestId) && r.Status == RoundStatus.Pending)
            .Select(r => new { r.RequestId, r.StateJson }).ToListAsync(ct)).ToDictionary(r => r.RequestId, r => r.StateJson);
        var pendingIds = pending.Keys.ToList();
        var claimed = pendingIds.Count == 0 ? 0 : await db.RunRounds.Where(r => pendingIds.Contains(r.RequestId) && r.Status == RoundStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RoundStatus.Done).SetProperty(r => r.CompletedAt, now), ct);
        if (claimed != pendingIds.Count)
        {
            await Alone(tx, replies, ct); // another consumer claimed some of them meanwhile
            return;
        }

        var mine = distinct.Where(r => pending.ContainsKey(r.RequestId)).ToList();
        var runIds = mine.Select(r => r.RunId).Distinct().ToList();
        var runs = runIds.Count == 0 ? [] : await db.Runs.Include(r => r.Problem).Where(r => runIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        var steps = new List<(Reply Reply, Run Run, StrategyController Controller, ControllerRequest Next, (Guid RequestId, object Body)? Message)>();
        var ending = new List<(Reply Reply, Run Run, string Status)>();
        void FailRun(Reply reply, Run run, string reason)
        {
            run.FailureReason = reason.Length > 2000 ? reason[..2000] : reason;
            logger.LogWarning("run {RunId} failed: {Reason}", run.Id, reason);
            ending.Add((reply, run, RunStatus.Failed));
        }

        foreach (var reply in mine)
        {
            if (!runs.TryGetValue(reply.RunId, out var run))
            {
                logger.LogWarning("reply to request {RequestId} names run {RunId}, which is not in the database; ignored", reply.RequestId, reply.RunId);
                continue;
            }

            using var scope = PlatformTelemetry.Scope(logger, run.BatchId, run.Id);
            RecordUsage(run, reply.Round, reply.Kind, reply.RequestId, reply.Usage);
            if (reply.Scoring is { } passing)
            {
                RecordUsage(run, passing.Round, passing.Kind, passing.RequestId, passing.Usage);
            }

            if (RunStatus.IsEnded(run.Status) || ending.Any(e => e.Run == run))
            {
                continue; // a reply for a run that ended meanwhile (cancelled, or failed by a fault): its compute is kept, nothing follows
            }

            if (reply.Failed is { } failed)
            {
                FailRun(reply, run, $"{failed.What} failed: {failed.Error}");
            }
            else if (pending[reply.RequestId] is not { } state)
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
                    var controller = ControllerRegistry.Load(state);
                    List<Continuation> Continuations(IReadOnlyList<GeneratedSample> samples) =>
                        [.. samples.Select(x => new Continuation(x.PrefixKey, x.SampleIndex, x.Text, x.TokenCount, x.FinishReason))];
                    var next = (reply.Samples, reply.Scoring) switch
                    {
                        ({ } samples, { } scored) => controller.OnGeneratedAndScored(Continuations(samples), ScoresBySample(samples, scored.Scores!), scored.Kind).Next,
                        ({ } samples, null) => controller.OnGenerated(Continuations(samples)),
                        _ => controller.OnScored(reply.Scores!.ToDictionary(x => x.Key, x => x.StepScores)),
                    };

                    steps.Add((reply, run, controller, next, next is FinishRun ? null : Message(run.Id, Plan(run), run.Problem!.Text, controller, next, reply.LastRound + 1, _fused)));
                }
                catch (Exception e) when (e is not OutOfMemoryException && !Transience.IsInfrastructure(e))
                {
                    // This reply alone cannot go on (a retry would fail the same way): its run fails, the rest of the batch goes on.
                    FailRun(reply, run, $"the {run.Strategy} controller could not take the {reply.What} reply: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        // Candidates that earlier rounds stored and this round scores or selects: one query for all runs.
        var wanted = steps.SelectMany(x => x.Controller.Updated.Where(k => !x.Controller.Created.Contains(k))
            .Concat(x.Next is FinishRun { Node: { } node } && !x.Controller.Created.Contains(node) ? [node] : [])
            .Select(k => (x.Run.Id, k))).ToHashSet();
        var wantedRuns = wanted.Select(w => w.Id).Distinct().ToList();
        var wantedKeys = wanted.Select(w => w.k).Distinct().ToList();
        var stored = wanted.Count == 0 ? [] : (await db.Candidates.Where(c => wantedRuns.Contains(c.RunId) && wantedKeys.Contains(c.Key)).ToListAsync(ct))
            .Where(c => wanted.Contains((c.RunId, c.Key))).ToDictionary(c => (c.RunId, c.Key));
        var fresh = new List<Candidate>();
        var stepScores = new List<StepScore>();
        var sends = new List<(ConsumeContext Context, string Kind, string Json)>();
        foreach (var (reply, run, controller, next, message) in steps)
        {
            Record(run, controller, reply.Round, reply.Usage.Model, stored, fresh, stepScores, out var added);
            if (next is FinishRun finish)
            {
                if (finish.Node is { } key && (added.GetValueOrDefault(key) ?? stored.GetValueOrDefault((run.Id, key))) is { } chosen)
                {
                    chosen.Selected = true;
                }

                run.Answer = finish.Answer;
                run.Correct = run.Problem!.ReferenceAnswer is { } reference ? AnswerEquivalence.Equivalent(reference, finish.Answer) : null;
                ending.Add((reply, run, RunStatus.Completed));
                continue;
            }

            var (requestId, body) = message!.Value;
            db.RunRounds.Add(NewRound(run.Id, reply.LastRound + 1, next.Kind, requestId, body, ControllerRegistry.Save(controller)));
            run.CurrentRound = reply.LastRound + 1;
            run.UpdatedAt = now;
            sends.Add((reply.Context, next.Kind, JsonSerializer.Serialize(body, body.GetType(), Json)));
        }

        // New rows by COPY on PostgreSQL (one round trip each, no change tracking), inside the transaction.
        await db.InsertManyAsync(fresh, ct);
        await db.InsertManyAsync(stepScores, ct);

        // Only a run still planned or running ends here: a cancellation may have ended it since it was read.
        foreach (var group in ending.GroupBy(e => e.Status))
        {
            var endIds = group.Select(e => e.Run.Id).ToList();
            var ended = await db.Runs.Where(r => endIds.Contains(r.Id) && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running))
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, group.Key).SetProperty(r => r.UpdatedAt, now).SetProperty(r => r.CompletedAt, now), ct);
            if (ended != endIds.Count)
            {
                if (replies.Count > 1)
                {
                    await Alone(tx, replies, ct); // some were cancelled meanwhile: each reply alone decides what it may record
                    return;
                }

                KeepOutcomeOut(group.Single().Run); // cancelled meanwhile
                ending.Clear();
                break;
            }
        }

        foreach (var (_, run, status) in ending)
        {
            MarkEnded(run, status, now);
        }

        await db.SaveChangesAsync(ct);
        var completedBatches = new List<(ConsumeContext Context, Guid BatchId)>();
        foreach (var batch in ending.GroupBy(e => e.Run.BatchId))
        {
            if (await BatchCounters.CountEnded(db, batch.Key, batch.Count(), now, ct))
            {
                completedBatches.Add((batch.First().Reply.Context, batch.Key));
            }
        }

        await tx.CommitAsync(ct);

        // After the commit (and, with the in-memory outbox, once the consumer is done): the next requests and the outcomes.
        foreach (var (context, kind, json) in sends)
        {
            await Resend(context, kind, json);
        }

        foreach (var (reply, run, status) in ending)
        {
            PlatformTelemetry.RunsEnded.Add(1, new KeyValuePair<string, object?>("status", status));
            await Republish(reply.Context, run);
        }

        foreach (var (context, batchId) in completedBatches)
        {
            await BatchCounters.PublishCompleted(context, db, batchId, logger, ct);
        }

        foreach (var reply in distinct.Where(r => !pending.ContainsKey(r.RequestId)).Concat(repeated))
        {
            await Duplicate(reply, ct);
        }
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
        await Republish(context, run);

        // A redelivery may follow a crash between the commit that completed the batch and its publication.
        if (context.ReceiveContext.Redelivered && RunStatus.IsEnded(run.Status)
            && await db.Batches.AnyAsync(b => b.Id == run.BatchId && b.Status == BatchStatus.Completed, ct))
        {
            await BatchCounters.PublishCompleted(context, db, run.BatchId, logger, ct);
        }
    }

    /// <summary>What a controller's last call created and scored, as rows: new candidates, scores of stored ones, step scores.</summary>
    private static void Record(Run run, StrategyController controller, int round, string model, IReadOnlyDictionary<(Guid, string), Candidate> stored,
        List<Candidate> fresh, List<StepScore> stepScores, out Dictionary<string, Candidate> added)
    {
        if (controller.PredictedDifficulty is { } predicted && run.DifficultySource != DifficultySources.Predicted)
        {
            // The run's own compute (a composed controller's probes) has told how hard the problem is: the run records that estimate.
            run.DifficultyBin = predicted.Bin;
            run.DifficultyScore = predicted.Score;
            run.DifficultySource = DifficultySources.Predicted;
        }

        var nodes = controller.Nodes;
        added = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var key in controller.Created)
        {
            var n = nodes[key];
            var candidate = new Candidate
            {
                Id = Guid.NewGuid(), RunId = run.Id, Key = n.Key, ParentKey = string.IsNullOrEmpty(n.Parent) ? null : n.Parent, Round = round, Text = n.Text,
                StepCount = n.Depth, TokenCount = n.Tokens, FinishReason = n.Finish, ExtractedAnswer = n.Answer,
            };
            added[key] = candidate;
            fresh.Add(candidate);
        }

        foreach (var key in controller.Updated)
        {
            if ((added.GetValueOrDefault(key) ?? stored.GetValueOrDefault((run.Id, key))) is not { } candidate)
            {
                continue;
            }

            var node = nodes[key];
            candidate.Score = node.Score;
            stepScores.AddRange(node.StepScores.Select((score, i) => new StepScore
            {
                Id = Guid.NewGuid(), CandidateId = candidate.Id, StepIndex = i, Score = score, Model = model,
            }));
        }
    }

    /// <summary>The controller settings a plan asks for (the same mapping for every strategy).</summary>
    public static ControllerSettings Settings(StrategyPlan plan) => new()
    {
        Strategy = plan.Strategy, N = plan.N, Aggregation = plan.Aggregation, Temperature = plan.Temperature, BeamWidth = plan.BeamWidth,
        Lookahead = plan.Lookahead, MaxRounds = plan.MaxRounds, Iterations = plan.Iterations, Exploration = plan.ExplorationConstant,
        TokenBudget = plan.SearchTokenBudget, SelectByValue = plan.SelectByValue, Probes = plan.Probes,
        Chains = plan.Chains, ChainLength = plan.ChainLength, RevisionSelection = plan.RevisionSelection, EarlyStop = plan.EarlyStop is { } stop ? Platform.Reasoning.Controllers.EarlyStop.Parse(stop) : null,
        Policy = plan.PolicyJson is { } policy ? System.Text.Json.JsonSerializer.Deserialize<PolicyFollowUp>(policy, ComputeOptimalPolicy.Json) : null,
    };

    /// <summary>The step scores the Verifier sent for each sample scored in passing (null for a sample it did not mention).</summary>
    private static List<IReadOnlyList<double>?> ScoresBySample(IReadOnlyList<GeneratedSample> samples, IReadOnlyList<CandidateScores> scores)
    {
        var byKey = scores.DistinctBy(s => s.Key).ToDictionary(s => s.Key, s => s.StepScores);
        return [.. samples.Select(s => byKey.GetValueOrDefault(ScoreAfterGeneration.KeyOf(s)))];
    }

    /// <summary>
    /// The message that carries a controller's request to the Generator or the Verifier. With
    /// <paramref name="fused"/>, a generation the controller will score next asks the Generator to send
    /// its samples through the Verifier (<see cref="GenerateCandidates.ThenScore"/>, the next round's request id).
    /// </summary>
    public static (Guid RequestId, object Body) Message(Guid runId, StrategyPlan plan, string problem, StrategyController controller, ControllerRequest request,
        int index, bool fused)
    {
        var nodes = controller.Nodes;
        var requestId = RequestIds.For(runId, index, request.Kind);
        GenerationPrefix Prefix(string key) => new() { Key = key, Text = nodes[key].Text };
        Contracts.SamplingSettings Sampling(double temperature) => new()
        {
            Temperature = temperature, TopK = plan.TopK, TopP = plan.TopP, MaxNewTokens = plan.MaxNewTokens, Seed = unchecked(plan.Seed + index * 1_000_003),
        };
        GenerateCandidates Generate(IReadOnlyList<string> prefixes, int samples, string mode, int steps, double temperature, BudgetForcingSettings? forcing) => new()
        {
            RequestId = requestId, RunId = runId, Round = index, Kind = request.Kind, Model = plan.GeneratorModel, Problem = problem,
            Prefixes = prefixes.Select(Prefix).ToList(), SamplesPerPrefix = samples, Mode = mode, Steps = steps, Sampling = Sampling(temperature),
            BudgetForcing = forcing,
        };
        object body = request switch
        {
            SampleSolutions s => Generate([""], s.Samples, "full", 1, s.Temperature, s.BudgetForcing ? plan.BudgetForcing ?? new BudgetForcingSettings() : null),
            ExpandNodes e => Generate(e.Nodes, e.Samples, "step", 1, plan.Temperature, null),
            RollOut r => Generate(r.Nodes, 1, r.Steps > 0 ? "step" : "full", Math.Max(1, r.Steps), r.Temperature, null),
            ReviseChains r => Generate([], 1, "revise", 1, r.Temperature, null) with
            {
                Model = plan.ReviseModel is { Length: > 0 } reviser ? reviser : throw new ArgumentException("a sequential-revisions plan names no revision model"),
                Prefixes = r.Chains.Select(c => new GenerationPrefix { Key = c.Key, Attempts = c.Attempts }).ToList(),
            },
            ScoreTexts s => new ScoreCandidates
            {
                RequestId = requestId, RunId = runId, Round = index, Kind = request.Kind, Model = plan.VerifierModel, Problem = problem,
                Candidates = s.Items.Select(i => new CandidateToScore { Key = i.Key, Text = i.Text }).ToList(),
            },
            _ => throw new ArgumentException($"a {request.GetType().Name} is not a request"),
        };
        if (fused && request.ThenScore is { } scoreKind && body is GenerateCandidates generation && plan.VerifierModel.Length > 0)
        {
            body = generation with
            {
                ThenScore = new ScoreAfterGeneration { RequestId = RequestIds.For(runId, index + 1, scoreKind), Kind = scoreKind, Model = plan.VerifierModel },
            };
        }

        return (requestId, body);
    }

    /// <summary>Marks a run failed (unless it already ended) and publishes why; used for faults after retries.</summary>
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

    private Task FailAndPublish(ConsumeContext context, IDbContextTransaction tx, Run run, string reason)
    {
        run.FailureReason = reason.Length > 2000 ? reason[..2000] : reason;
        logger.LogWarning("run {RunId} failed: {Reason}", run.Id, reason);
        return End(context, tx, run, RunStatus.Failed);
    }

    /// <summary>
    /// Ends a run in the open transaction and counts it in its batch (the last run completes the batch),
    /// commits, then publishes the run's outcome and, when it was the last, the batch's.
    /// </summary>
    private async Task End(ConsumeContext context, IDbContextTransaction tx, Run run, string status)
    {
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();

        // Only a run still planned or running ends here: a cancellation may have ended it since it was read.
        var ended = await db.Runs.Where(r => r.Id == run.Id && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, status).SetProperty(r => r.UpdatedAt, now).SetProperty(r => r.CompletedAt, now), ct);
        if (ended == 0)
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
        PlatformTelemetry.RunsEnded.Add(1, new KeyValuePair<string, object?>("status", status));
        await Republish(context, run);
        if (batchCompleted)
        {
            await BatchCounters.PublishCompleted(context, db, run.BatchId, logger, ct);
        }
    }

    /// <summary>A run ended by someone else (a cancellation) since it was read: the compute the reply reports is kept, not its outcome.</summary>
    private void KeepOutcomeOut(Run run)
    {
        var entry = db.Entry(run);
        foreach (var property in new[] { nameof(Run.Answer), nameof(Run.Correct), nameof(Run.FailureReason), nameof(Run.Status) })
        {
            entry.Property(property).IsModified = false;
        }
    }

    /// <summary>The tracked run agrees with the conditional update that ended it, and SaveChanges leaves those columns be.</summary>
    private void MarkEnded(Run run, string status, DateTimeOffset now)
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
                    Correct = run.Correct, Usage = Totals(run),
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
                    await Resend(context, pending.Kind, json);
                }

                break;
        }
    }

    public static async Task Resend(ISendEndpointProvider send, string kind, string json)
    {
        if (RequestKinds.IsScoring(kind))
        {
            var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.ScoreCandidates));
            await endpoint.Send(JsonSerializer.Deserialize<ScoreCandidates>(json, Json)!);
        }
        else
        {
            var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.GenerateCandidates));
            await endpoint.Send(JsonSerializer.Deserialize<GenerateCandidates>(json, Json)!);
        }
    }

    private static ComputeUsage Totals(Run run) => new()
    {
        PromptTokens = run.PromptTokens, CachedPromptTokens = run.CachedPromptTokens, GeneratedTokens = run.GeneratedTokens,
        ScoredTokens = run.ScoredTokens, Flops = run.Flops, DeviceMilliseconds = run.DeviceMilliseconds,
    };

    /// <summary>One usage row per reply, and the run's running totals.</summary>
    private void RecordUsage(Run run, int round, string kind, Guid requestId, ComputeUsage usage)
    {
        run.PromptTokens += usage.PromptTokens;
        run.CachedPromptTokens += usage.CachedPromptTokens;
        run.GeneratedTokens += usage.GeneratedTokens;
        run.ScoredTokens += usage.ScoredTokens;
        run.Flops += usage.Flops;
        run.DeviceMilliseconds += usage.DeviceMilliseconds;
        db.ComputeUsage.Add(new ComputeUsageRecord
        {
            Id = Guid.NewGuid(), RequestId = requestId, BatchId = run.BatchId, RunId = run.Id, Round = round, Kind = kind,
            Model = usage.Model.Length > 0 ? usage.Model : "unknown", PromptTokens = usage.PromptTokens, CachedPromptTokens = usage.CachedPromptTokens,
            GeneratedTokens = usage.GeneratedTokens, ScoredTokens = usage.ScoredTokens, Flops = usage.Flops,
            DeviceMilliseconds = usage.DeviceMilliseconds, RecordedAt = clock.GetUtcNow(),
        });
    }

    private RunRound NewRound(Guid runId, int index, string kind, Guid requestId, object request, string? state = null) => new()
    {
        Id = Guid.NewGuid(), RunId = runId, Index = index, Kind = kind, RequestId = requestId, Status = RoundStatus.Pending,
        RequestJson = JsonSerializer.Serialize(request, request.GetType(), Json), StateJson = state, CreatedAt = clock.GetUtcNow(),
    };

    private static StrategyPlan Plan(Run run) => JsonSerializer.Deserialize<StrategyPlan>(run.PlanJson, Json)!;
}

/// <summary>
/// A reply of the Generator (samples) or the Verifier (scores), with the context it arrived in. A generation
/// scored in passing is one reply: the generation's (its round is the one claimed) with the Verifier's as <see cref="Scoring"/>.
/// </summary>
public sealed record Reply(ConsumeContext Context, Guid RequestId, Guid RunId, int Round, string Kind, ComputeUsage Usage, string? Error,
    IReadOnlyList<GeneratedSample>? Samples = null, IReadOnlyList<CandidateScores>? Scores = null, Reply? Scoring = null)
{
    public string What => Samples is not null ? "generation" : "scoring";

    /// <summary>The round this reply ends: a generation scored in passing also takes the scoring's round, whether or not its controller took the scores.</summary>
    public int LastRound => Scoring?.Round ?? Round;

    /// <summary>The part that failed (the generation, or the scoring in passing), if any.</summary>
    public Reply? Failed => Error is not null ? this : Scoring?.Failed;

    public static Reply Of(ConsumeContext<CandidatesGenerated> c) =>
        new(c, c.Message.RequestId, c.Message.RunId, c.Message.Round, c.Message.Kind, c.Message.Usage, c.Message.Error, Samples: c.Message.Samples);

    public static Reply Of(ConsumeContext<CandidatesScored> c)
    {
        var scored = new Reply(c, c.Message.RequestId, c.Message.RunId, c.Message.Round, c.Message.Kind, c.Message.Usage, c.Message.Error, Scores: c.Message.Scores);
        return c.Message.Generated is { } g
            ? new(c, g.RequestId, g.RunId, g.Round, g.Kind, g.Usage, g.Error, Samples: g.Samples, Scoring: scored)
            : scored;
    }
}
