using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
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
public sealed class RunDriver(PlatformDbContext db, TimeProvider clock, ILogger<RunDriver> logger)
{
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

        var plan = planned.Plan;
        StrategyController controller;
        ControllerRequest first;
        try
        {
            controller = ControllerRegistry.Create(Settings(plan));
            first = controller.Start();
        }
        catch (ArgumentException e)
        {
            await using var failTx = await db.Database.BeginTransactionAsync(ct);
            run = await db.Runs.Include(r => r.Problem).SingleAsync(r => r.Id == planned.RunId, ct);
            await FailAndPublish(context, failTx, run, $"strategy settings: {e.Message}");
            return;
        }

        var message = Message(run.Id, plan, planned.ProblemText, controller, first, 0);

        // The unique (run, round, kind) key makes a redelivered RunPlanned find the round it created.
        var (round, _) = await db.InsertOnceAsync(NewRound(run.Id, 0, first.Kind, message.RequestId, message.Body, ControllerRegistry.Save(controller)),
            r => r.RunId == run.Id && r.Index == 0 && r.Kind == first.Kind, ct);
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

    public async Task OnGenerated(ConsumeContext context, CandidatesGenerated reply)
    {
        using var scope = PlatformTelemetry.Scope(logger, null, reply.RunId);
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await Receive(context, tx, reply.RequestId, reply.RunId, reply.Round, reply.Kind, reply.Usage, reply.Error, "generation") is not var (run, plan, controller))
        {
            return;
        }

        if (reply.Samples.Count == 0)
        {
            await FailAndPublish(context, tx, run, "generation returned no samples");
            return;
        }

        var next = controller.OnGenerated(reply.Samples.Select(x => new Continuation(x.PrefixKey, x.SampleIndex, x.Text, x.TokenCount, x.FinishReason)).ToList());
        await Continue(context, tx, run, plan, controller, next, reply.Round, reply.Usage.Model);
    }

    public async Task OnScored(ConsumeContext context, CandidatesScored reply)
    {
        using var scope = PlatformTelemetry.Scope(logger, null, reply.RunId);
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await Receive(context, tx, reply.RequestId, reply.RunId, reply.Round, reply.Kind, reply.Usage, reply.Error, "scoring") is not var (run, plan, controller))
        {
            return;
        }

        var next = controller.OnScored(reply.Scores.ToDictionary(x => x.Key, x => x.StepScores));
        await Continue(context, tx, run, plan, controller, next, reply.Round, reply.Usage.Model);
    }

    /// <summary>The controller settings a plan asks for (the same mapping for every strategy).</summary>
    public static ControllerSettings Settings(StrategyPlan plan) => new()
    {
        Strategy = plan.Strategy, N = plan.N, Aggregation = plan.Aggregation, Temperature = plan.Temperature, BeamWidth = plan.BeamWidth,
        Lookahead = plan.Lookahead, MaxRounds = plan.MaxRounds, Iterations = plan.Iterations, Exploration = plan.ExplorationConstant,
        TokenBudget = plan.SearchTokenBudget, SelectByValue = plan.SelectByValue, Probes = plan.Probes,
        Chains = plan.Chains, ChainLength = plan.ChainLength, RevisionSelection = plan.RevisionSelection,
        Policy = plan.PolicyJson is { } policy ? System.Text.Json.JsonSerializer.Deserialize<PolicyFollowUp>(policy, ComputeOptimalPolicy.Json) : null,
    };

    /// <summary>Stores what the controller's last call reported, then dispatches its next request or completes the run.</summary>
    private async Task Continue(ConsumeContext context, IDbContextTransaction tx, Run run, StrategyPlan plan, StrategyController controller,
        ControllerRequest next, int round, string model)
    {
        var ct = context.CancellationToken;
        if (controller is ProbeThen { PredictedBin: { } bin, ProbeScore: { } probeScore } && run.DifficultySource != DifficultySources.Predicted)
        {
            // The probes have told the policy how hard the problem is: the run records that estimate.
            run.DifficultyBin = bin;
            run.DifficultyScore = probeScore;
            run.DifficultySource = DifficultySources.Predicted;
        }

        var nodes = controller.Nodes;
        var added = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        var fresh = new List<Candidate>(controller.Created.Count);
        var stepScores = new List<StepScore>();
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

        var scored = controller.Updated.Where(k => !added.ContainsKey(k)).ToList();
        var stored = scored.Count == 0 ? [] : await db.Candidates.Where(c => c.RunId == run.Id && scored.Contains(c.Key)).ToListAsync(ct);
        foreach (var candidate in stored)
        {
            added[candidate.Key] = candidate;
        }

        foreach (var key in controller.Updated)
        {
            if (!added.TryGetValue(key, out var candidate))
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

        // New rows by COPY on PostgreSQL (one round trip each, no change tracking), inside the reply's transaction.
        async Task InsertNewRows()
        {
            await db.InsertManyAsync(fresh, ct);
            await db.InsertManyAsync(stepScores, ct);
        }

        if (next is FinishRun finish)
        {
            if (finish.Node is { } key)
            {
                var chosen = added.GetValueOrDefault(key) ?? await db.Candidates.SingleOrDefaultAsync(c => c.RunId == run.Id && c.Key == key, ct);
                if (chosen is not null)
                {
                    chosen.Selected = true;
                }
            }

            await InsertNewRows();
            await CompleteWith(context, tx, run, finish.Answer);
            return;
        }

        await InsertNewRows();
        var index = round + 1;
        var message = Message(run.Id, plan, run.Problem!.Text, controller, next, index);
        db.RunRounds.Add(NewRound(run.Id, index, next.Kind, message.RequestId, message.Body, ControllerRegistry.Save(controller)));
        run.CurrentRound = index;
        run.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await Resend(context, next.Kind, JsonSerializer.Serialize(message.Body, message.Body.GetType(), Json));
    }

    /// <summary>The message that carries a controller's request to the Generator or the Verifier.</summary>
    public static (Guid RequestId, object Body) Message(Guid runId, StrategyPlan plan, string problem, StrategyController controller, ControllerRequest request, int index)
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

    /// <summary>
    /// The common start of every reply: claim its round, record its usage, and fail the run when the
    /// reply carries an error. Null when there is nothing more to do (a duplicate, or a failed run).
    /// </summary>
    private async Task<(Run Run, StrategyPlan Plan, StrategyController Controller)?> Receive(ConsumeContext context, IDbContextTransaction tx,
        Guid requestId, Guid runId, int round, string kind, ComputeUsage usage, string? error, string what)
    {
        var run = await Claim(context, requestId, runId);
        if (run is null)
        {
            return null;
        }

        RecordUsage(run, round, kind, requestId, usage);
        if (RunStatus.IsEnded(run.Status))
        {
            // A reply for a run that ended meanwhile (cancelled, or failed by a fault): its compute is kept, nothing follows.
            await db.SaveChangesAsync(context.CancellationToken);
            await tx.CommitAsync(context.CancellationToken);
            return null;
        }

        if (error is not null)
        {
            await FailAndPublish(context, tx, run, $"{what} failed: {error}");
            return null;
        }

        var state = await db.RunRounds.AsNoTracking().Where(r => r.RequestId == requestId).Select(r => r.StateJson).SingleAsync(context.CancellationToken);
        if (state is null)
        {
            await FailAndPublish(context, tx, run, $"round {round} ({kind}) has no controller state");
            return null;
        }

        return (run, Plan(run), ControllerRegistry.Load(state));
    }

    /// <summary>Takes ownership of a reply: its pending round becomes done. Null (after republishing) when it was already taken.</summary>
    private async Task<Run?> Claim(ConsumeContext context, Guid requestId, Guid runId)
    {
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        var claimed = await db.RunRounds.Where(r => r.RequestId == requestId && r.Status == RoundStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RoundStatus.Done).SetProperty(r => r.CompletedAt, now), ct);
        var run = await db.Runs.Include(r => r.Problem).SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (claimed == 1 && run is not null)
        {
            return run;
        }

        if (run is null || !await db.RunRounds.AnyAsync(r => r.RequestId == requestId, ct))
        {
            logger.LogWarning("reply to unknown request {RequestId} (run {RunId}) ignored", requestId, runId);
            return null;
        }

        logger.LogInformation("duplicate reply to request {RequestId} of run {RunId}: publishing the run's outcome again", requestId, runId);
        await Republish(context, run);

        // A redelivery may follow a crash between the commit that completed the batch and its publication.
        if (context.ReceiveContext.Redelivered && RunStatus.IsEnded(run.Status)
            && await db.Batches.AnyAsync(b => b.Id == run.BatchId && b.Status == BatchStatus.Completed, ct))
        {
            await BatchCounters.PublishCompleted(context, db, run.BatchId, logger, ct);
        }

        return null;
    }

    /// <summary>Grades and stores the run's answer, ends it, and publishes RunCompleted.</summary>
    private Task CompleteWith(ConsumeContext context, IDbContextTransaction tx, Run run, string? answer)
    {
        run.Answer = answer;
        run.Correct = run.Problem!.ReferenceAnswer is { } reference ? AnswerEquivalence.Equivalent(reference, answer) : null;
        return End(context, tx, run, RunStatus.Completed);
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
            // Keep the compute the reply reports; the answer of a cancelled run is not recorded.
            var entry = db.Entry(run);
            foreach (var p in new[] { nameof(Run.Answer), nameof(Run.Correct), nameof(Run.FailureReason), nameof(Run.Status) })
            {
                entry.Property(p).IsModified = false;
            }

            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return;
        }

        (run.Status, run.UpdatedAt, run.CompletedAt) = (status, now, now);
        var entryOf = db.Entry(run);
        foreach (var p in new[] { nameof(Run.Status), nameof(Run.UpdatedAt), nameof(Run.CompletedAt) })
        {
            entryOf.Property(p).OriginalValue = entryOf.Property(p).CurrentValue;
            entryOf.Property(p).IsModified = false;
        }

        await db.SaveChangesAsync(ct);
        var batchCompleted = await BatchCounters.CountEnded(db, run.BatchId, now, ct);
        await tx.CommitAsync(ct);
        PlatformTelemetry.RunsEnded.Add(1, new KeyValuePair<string, object?>("status", status));
        await Republish(context, run);
        if (batchCompleted)
        {
            await BatchCounters.PublishCompleted(context, db, run.BatchId, logger, ct);
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
