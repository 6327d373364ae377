using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Answers;
using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Search;
using Platform.Reasoning.Selection;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Drives runs of the sampling strategies: round 0 generates N samples; strategies with a verifier
/// then score them; the run selects, grades and stores its answer. Every reply is claimed exactly
/// once (its round moves from pending to done in the transaction that stores its results); a reply
/// whose round is already done is a duplicate, and the run's current outcome is published again.
/// </summary>
public sealed class RunDriver(PlatformDbContext db, TimeProvider clock, ILogger<RunDriver> logger)
{
    public const string GenerateKind = "generate";
    public const string ScoreKind = "score";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task Start(ConsumeContext context, RunPlanned planned)
    {
        var ct = context.CancellationToken;
        var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == planned.RunId, ct);
        if (run is null)
        {
            logger.LogError("run {RunId} is not in the database; RunPlanned ignored", planned.RunId);
            return;
        }

        if (run.Status is RunStatus.Completed or RunStatus.Failed)
        {
            await Republish(context, run);
            return;
        }

        var plan = planned.Plan;
        if (SearchPlans.IsSearch(plan.Strategy))
        {
            await StartSearch(context, run, plan, planned.ProblemText);
            return;
        }

        var command = new GenerateCandidates
        {
            RequestId = RequestIds.For(run.Id, 0, GenerateKind), RunId = run.Id, Round = 0, Kind = GenerateKind, Model = plan.GeneratorModel,
            Problem = planned.ProblemText, Prefixes = [new GenerationPrefix { Key = "", Text = "" }],
            SamplesPerPrefix = plan.Strategy is Strategies.Greedy or Strategies.BudgetForcing ? 1 : plan.N, Mode = "full",
            Sampling = new SamplingSettings
            {
                Temperature = plan.Strategy == Strategies.Greedy ? 0 : plan.Temperature, TopK = plan.TopK, TopP = plan.TopP,
                MaxNewTokens = plan.MaxNewTokens, Seed = plan.Seed,
            },
            BudgetForcing = plan.BudgetForcing,
        };

        // The unique (run, round, kind) key makes a redelivered RunPlanned find the round it created.
        var (round, _) = await db.InsertOnceAsync(NewRound(run.Id, 0, GenerateKind, command.RequestId, command),
            r => r.RunId == run.Id && r.Index == 0 && r.Kind == GenerateKind, ct);
        if (run.Status == RunStatus.Planned)
        {
            run.Status = RunStatus.Running;
            run.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
        }

        if (round.Status != RoundStatus.Pending)
        {
            return; // already answered: the run has moved on
        }

        await (await context.GetSendEndpoint(QueueNames.Address(QueueNames.GenerateCandidates))).Send(command, ct);
    }

    public async Task OnGenerated(ConsumeContext context, CandidatesGenerated reply)
    {
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await Receive(context, tx, reply.RequestId, reply.RunId, reply.Round, reply.Kind, reply.Usage, reply.Error, "generation") is not var (run, plan))
        {
            return;
        }

        if (SearchPlans.IsSearch(plan.Strategy))
        {
            var controller = await Controller(run, plan, reply.RequestId, ct);
            var continuations = reply.Samples.Select(x => new Continuation(x.PrefixKey, x.SampleIndex, x.Text, x.TokenCount, x.FinishReason)).ToList();
            var next = reply.Kind == ExpandKind ? SearchPlans.OnExpanded(controller, continuations) : SearchPlans.OnRolledOut(controller, continuations);
            if (reply.Kind == ExpandKind)
            {
                var nodes = SearchPlans.Nodes(controller);
                db.Candidates.AddRange(SearchPlans.Fresh(controller).Select(k => nodes[k]).Select(n => new Candidate
                {
                    Id = Guid.NewGuid(), RunId = run.Id, Key = n.Key, ParentKey = n.Parent, Round = reply.Round, Text = n.Text, StepCount = n.Depth,
                    TokenCount = n.Tokens, FinishReason = n.Finish, ExtractedAnswer = n.Answer,
                }));
            }

            await Dispatch(context, tx, run, plan, controller, next, reply.Round + 1);
            return;
        }

        var candidates = reply.Samples.OrderBy(s => s.SampleIndex).Select(s => new Candidate
        {
            Id = Guid.NewGuid(), RunId = run.Id, Key = SampleKey(reply.Round, s.SampleIndex), Round = reply.Round, Text = s.Text,
            StepCount = ArithmeticFormat.SplitSteps(s.Text).Count, TokenCount = s.TokenCount, FinishReason = s.FinishReason,
            ExtractedAnswer = AnswerExtractor.Extract(s.Text),
        }).ToList();
        if (candidates.Count == 0)
        {
            await FailAndPublish(context, tx, run, "generation returned no samples");
            return;
        }

        db.Candidates.AddRange(candidates);
        if (Strategies.UsesVerifier(plan.Strategy))
        {
            var command = new ScoreCandidates
            {
                RequestId = RequestIds.For(run.Id, reply.Round, ScoreKind), RunId = run.Id, Round = reply.Round, Kind = ScoreKind,
                Model = plan.VerifierModel, Problem = run.Problem!.Text,
                Candidates = candidates.Select(c => new CandidateToScore { Key = c.Key, Text = c.Text }).ToList(),
            };
            db.RunRounds.Add(NewRound(run.Id, reply.Round, ScoreKind, command.RequestId, command));
            run.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            await (await context.GetSendEndpoint(QueueNames.Address(QueueNames.ScoreCandidates))).Send(command, ct);
            return;
        }

        await CompleteAndPublish(context, tx, run, plan, candidates, null);
    }

    public async Task OnScored(ConsumeContext context, CandidatesScored reply)
    {
        var ct = context.CancellationToken;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await Receive(context, tx, reply.RequestId, reply.RunId, reply.Round, reply.Kind, reply.Usage, reply.Error, "scoring") is not var (run, plan))
        {
            return;
        }

        if (SearchPlans.IsSearch(plan.Strategy))
        {
            var controller = await Controller(run, plan, reply.RequestId, ct);
            var fresh = SearchPlans.Fresh(controller).ToList();
            var next = SearchPlans.OnScored(controller, reply.Scores.ToDictionary(x => x.Key, x => x.StepScores));
            var nodes = SearchPlans.Nodes(controller);
            var stored = await db.Candidates.Where(c => c.RunId == run.Id && fresh.Contains(c.Key)).ToListAsync(ct);
            foreach (var candidate in stored)
            {
                var node = nodes[candidate.Key];
                candidate.Score = node.Score;
                db.StepScores.AddRange(node.StepScores.Select((score, i) => new StepScore
                {
                    Id = Guid.NewGuid(), CandidateId = candidate.Id, StepIndex = i, Score = score, Model = reply.Usage.Model,
                }));
            }

            await Dispatch(context, tx, run, plan, controller, next, reply.Round + 1);
            return;
        }

        var aggregation = StepAggregations.Parse(plan.Aggregation);
        var candidates = (await db.Candidates.Where(c => c.RunId == run.Id && c.Round == reply.Round).ToListAsync(ct))
            .OrderBy(c => SampleIndex(c.Key)).ToList();
        var byKey = reply.Scores.ToDictionary(s => s.Key, s => s.StepScores);
        var scores = new List<IReadOnlyList<double>>();
        foreach (var candidate in candidates)
        {
            var steps = byKey.TryGetValue(candidate.Key, out var s) ? s : [];
            scores.Add(steps);
            candidate.Score = aggregation.Aggregate(steps);
            db.StepScores.AddRange(steps.Select((score, i) => new StepScore
            {
                Id = Guid.NewGuid(), CandidateId = candidate.Id, StepIndex = i, Score = score, Model = reply.Usage.Model,
            }));
        }

        await CompleteAndPublish(context, tx, run, plan, candidates, scores);
    }

    public const string ExpandKind = "expand";
    public const string RolloutKind = "rollout";

    private async Task StartSearch(ConsumeContext context, Run run, StrategyPlan plan, string problem)
    {
        var ct = context.CancellationToken;
        object controller;
        SearchCommand first;
        try
        {
            (controller, first) = SearchPlans.Start(new SearchParameters(plan.Strategy, plan.N, plan.BeamWidth, plan.MaxRounds, plan.Lookahead, plan.Iterations, plan.ExplorationConstant,
                plan.SearchTokenBudget, plan.SelectByValue));
        }
        catch (ArgumentException e)
        {
            await using var failTx = await db.Database.BeginTransactionAsync(ct);
            await FailAndPublish(context, failTx, run, $"search settings: {e.Message}");
            return;
        }

        var (kind, message) = Message(run, plan, problem, controller, first, 0);
        var (round, _) = await db.InsertOnceAsync(NewRound(run.Id, 0, kind, RequestIdOf(message), message, SearchPlans.Save(controller)),
            r => r.RunId == run.Id && r.Index == 0 && r.Kind == kind, ct);
        if (run.Status == RunStatus.Planned)
        {
            run.Status = RunStatus.Running;
            run.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
        }

        if (round.Status == RoundStatus.Pending && round.RequestJson is { } json)
        {
            await Resend(context, kind, json);
        }
    }

    /// <summary>The controller as it was when the request of <paramref name="requestId"/> was sent.</summary>
    private async Task<object> Controller(Run run, StrategyPlan plan, Guid requestId, CancellationToken ct)
    {
        var round = await db.RunRounds.AsNoTracking().SingleAsync(r => r.RequestId == requestId, ct);
        return SearchPlans.Load(plan.Strategy, round.StateJson ?? throw new InvalidDataException($"round {round.Index} of run {run.Id} has no search state"));
    }

    /// <summary>Records the controller's next request (with its state) and sends it, or completes the run.</summary>
    private async Task Dispatch(ConsumeContext context, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, Run run, StrategyPlan plan,
        object controller, SearchCommand next, int index)
    {
        var ct = context.CancellationToken;
        if (next is FinishSearch finish)
        {
            if (finish.Node is { } key && await db.Candidates.SingleOrDefaultAsync(c => c.RunId == run.Id && c.Key == key, ct) is { } chosen)
            {
                chosen.Selected = true;
            }

            await CompleteWith(context, tx, run, finish.Answer);
            return;
        }

        var (kind, message) = Message(run, plan, run.Problem!.Text, controller, next, index);
        db.RunRounds.Add(NewRound(run.Id, index, kind, RequestIdOf(message), message, SearchPlans.Save(controller)));
        run.CurrentRound = index;
        run.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await Resend(context, kind, JsonSerializer.Serialize(message, message.GetType(), Json));
    }

    /// <summary>The message that carries a controller's request.</summary>
    private static (string Kind, object Message) Message(Run run, StrategyPlan plan, string problem, object controller, SearchCommand command, int index)
    {
        var nodes = SearchPlans.Nodes(controller);
        GenerationPrefix Prefix(string key) => new() { Key = key, Text = nodes[key].Text };
        SamplingSettings Sampling(double temperature) => new()
        {
            Temperature = temperature, TopK = plan.TopK, TopP = plan.TopP, MaxNewTokens = plan.MaxNewTokens, Seed = unchecked(plan.Seed + index * 1_000_003),
        };
        return command switch
        {
            ExpandNodes e => (ExpandKind, new GenerateCandidates
            {
                RequestId = RequestIds.For(run.Id, index, ExpandKind), RunId = run.Id, Round = index, Kind = ExpandKind, Model = plan.GeneratorModel,
                Problem = problem, Prefixes = e.Nodes.Select(Prefix).ToList(), SamplesPerPrefix = e.Samples, Mode = "step", Steps = 1,
                Sampling = Sampling(plan.Temperature),
            }),
            RollOut r => (RolloutKind, new GenerateCandidates
            {
                RequestId = RequestIds.For(run.Id, index, RolloutKind), RunId = run.Id, Round = index, Kind = RolloutKind, Model = plan.GeneratorModel,
                Problem = problem, Prefixes = r.Nodes.Select(Prefix).ToList(), SamplesPerPrefix = 1, Mode = r.Steps > 0 ? "step" : "full",
                Steps = Math.Max(1, r.Steps), Sampling = Sampling(r.Temperature),
            }),
            ScoreTexts s => (ScoreKind, new ScoreCandidates
            {
                RequestId = RequestIds.For(run.Id, index, ScoreKind), RunId = run.Id, Round = index, Kind = ScoreKind, Model = plan.VerifierModel,
                Problem = problem, Candidates = s.Items.Select(i => new CandidateToScore { Key = i.Key, Text = i.Text }).ToList(),
            }),
            _ => throw new ArgumentException($"unexpected search command {command.GetType().Name}"),
        };
    }

    private static Guid RequestIdOf(object message) => message switch
    {
        GenerateCandidates g => g.RequestId,
        ScoreCandidates s => s.RequestId,
        _ => throw new ArgumentException("not a request"),
    };

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

        if (run.Status is RunStatus.Completed or RunStatus.Failed)
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
    private async Task<(Run Run, StrategyPlan Plan)?> Receive(ConsumeContext context, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx,
        Guid requestId, Guid runId, int round, string kind, ComputeUsage usage, string? error, string what)
    {
        var run = await Claim(context, requestId, runId);
        if (run is null)
        {
            return null;
        }

        RecordUsage(run, round, kind, requestId, usage);
        if (error is not null)
        {
            await FailAndPublish(context, tx, run, $"{what} failed: {error}");
            return null;
        }

        return (run, Plan(run));
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
        return null;
    }

    private async Task CompleteAndPublish(ConsumeContext context, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, Run run,
        StrategyPlan plan, List<Candidate> candidates, IReadOnlyList<IReadOnlyList<double>>? scores)
    {
        var ct = context.CancellationToken;
        var chosen = candidates[StrategySelection.Select(plan.Strategy, StepAggregations.Parse(plan.Aggregation),
            candidates.Select(c => c.ExtractedAnswer).ToList(), scores)];
        chosen.Selected = true;
        await CompleteWith(context, tx, run, chosen.ExtractedAnswer);
    }

    /// <summary>Grades and stores the run's answer, commits, and publishes RunCompleted.</summary>
    private async Task CompleteWith(ConsumeContext context, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, Run run, string? answer)
    {
        var ct = context.CancellationToken;
        run.Answer = answer;
        run.Correct = run.Problem!.ReferenceAnswer is { } reference ? AnswerEquivalence.Equivalent(reference, answer) : null;
        run.Status = RunStatus.Completed;
        run.UpdatedAt = clock.GetUtcNow();
        run.CompletedAt = run.UpdatedAt;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await Republish(context, run);
    }

    private async Task FailAndPublish(ConsumeContext context, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, Run run, string reason)
    {
        run.Status = RunStatus.Failed;
        run.FailureReason = reason.Length > 2000 ? reason[..2000] : reason;
        run.UpdatedAt = clock.GetUtcNow();
        run.CompletedAt = run.UpdatedAt;
        await db.SaveChangesAsync(context.CancellationToken);
        await tx.CommitAsync(context.CancellationToken);
        logger.LogWarning("run {RunId} failed: {Reason}", run.Id, reason);
        await Republish(context, run);
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
                    Correct = run.Correct, Usage = await UsageTotals.ForRun(db, run.Id, ct),
                }, ct);
                break;
            case RunStatus.Failed:
                await context.Publish(new RunFailed { BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, Reason = run.FailureReason ?? "" }, ct);
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
        if (kind == ScoreKind)
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

    private void RecordUsage(Run run, int round, string kind, Guid requestId, ComputeUsage usage) =>
        db.ComputeUsage.Add(new ComputeUsageRecord
        {
            Id = Guid.NewGuid(), RequestId = requestId, BatchId = run.BatchId, RunId = run.Id, Round = round, Kind = kind,
            Model = usage.Model.Length > 0 ? usage.Model : "unknown", PromptTokens = usage.PromptTokens, CachedPromptTokens = usage.CachedPromptTokens,
            GeneratedTokens = usage.GeneratedTokens, ScoredTokens = usage.ScoredTokens, Flops = usage.Flops,
            DeviceMilliseconds = usage.DeviceMilliseconds, RecordedAt = clock.GetUtcNow(),
        });

    private RunRound NewRound(Guid runId, int index, string kind, Guid requestId, object request, string? state = null) => new()
    {
        Id = Guid.NewGuid(), RunId = runId, Index = index, Kind = kind, RequestId = requestId, Status = RoundStatus.Pending,
        RequestJson = JsonSerializer.Serialize(request, request.GetType(), Json), StateJson = state, CreatedAt = clock.GetUtcNow(),
    };

    private static StrategyPlan Plan(Run run) => JsonSerializer.Deserialize<StrategyPlan>(run.PlanJson, Json)!;

    public static string SampleKey(int round, int sample) => $"r{round}/s{sample}";

    private static int SampleIndex(string key) => int.Parse(key[(key.LastIndexOf('s') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
