using System.Text.Json;
using Platform.Contracts;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Policy;
using Platform.Storage.Entities;

namespace Platform.Router.Planning;

/// <summary>What the Router decided about one submitted batch.</summary>
public sealed record BatchDecision(Batch Batch, IReadOnlyList<(Run Run, Problem Problem, StrategyPlan? Plan)> Runs, BatchRejected? Rejection);

/// <summary>
/// Validates a batch, estimates each problem's difficulty and gives it a plan. A batch-level error
/// (strategy, N, aggregation, no problems) rejects the whole batch; a problem-level error (empty or
/// over-long text) fails that run only, with the reason stored.
/// </summary>
/// <param name="activePolicy">The active stored policy version, if any (it wins over the file); null: the file only.</param>
/// <param name="admission">Priority classes and who may use which (null: the defaults).</param>
public sealed class BatchPlanner(RouterOptions options, TimeProvider clock, Func<ComputeOptimalPolicy?>? activePolicy = null, Platform.Inference.Models.ModelCatalog? catalog = null,
    Admission.AdmissionOptions? admission = null)
{
    private readonly Admission.AdmissionOptions _admission = admission ?? new();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lazy<(ComputeOptimalPolicy? Policy, string? Error)> _file = new(() => LoadPolicy(options.PolicyFile));

    /// <summary>The fitted policy compute-optimal follows — the active stored version, else the policy file — or why there is none.</summary>
    public (ComputeOptimalPolicy? Policy, string? Error) Policy => activePolicy?.Invoke() is { } stored ? (stored, null) : _file.Value;

    private static (ComputeOptimalPolicy?, string?) LoadPolicy(string? configured)
    {
        var path = configured;
        if (string.IsNullOrWhiteSpace(path))
        {
            path = RouterFiles.Find(Path.Combine("models", "policy.json"));
            if (path is null)
            {
                return (null, "compute-optimal needs a fitted policy: no models/policy.json was found (ttc policy fit --out; Router:PolicyFile)");
            }
        }

        try
        {
            return (ComputeOptimalPolicy.Parse(File.ReadAllText(path)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            return (null, $"compute-optimal needs a fitted policy: {path} cannot be read ({e.Message}) (Router:PolicyFile)");
        }
    }

    /// <summary>The whole decision at once (small batches, tests); the Router's consumer plans in chunks with the parts below.</summary>
    public BatchDecision Plan(SubmitBatch submit)
    {
        var batch = NewBatch(submit);
        if (Validate(submit) is { } rejection)
        {
            Reject(batch, rejection);
            return new BatchDecision(batch, [], rejection);
        }

        var runs = PlanRange(submit, batch, 0, submit.Problems.Count);
        batch.RunsEnded = runs.Count(r => r.Plan is null);
        return new BatchDecision(batch, runs, null);
    }

    /// <summary>The batch row, before any problem is planned.</summary>
    public Batch NewBatch(SubmitBatch submit) => new()
    {
        // Storable forms: a batch refused for an unstorable field is still recorded, so its id answers with why.
        Id = submit.BatchId, Name = StorableText.Storable(Truncate(submit.Name, 200)), Source = StorableText.Storable(Truncate(submit.Source, 400)),
        RequestedStrategy = StorableText.Storable(submit.Strategy),
        SettingsJson = JsonSerializer.Serialize(submit with { Problems = [], Offset = 0, TotalProblems = null }, Json), ProblemCount = submit.TotalProblems ?? submit.Problems.Count,
        TokenBudget = submit.TokenBudget, SubmittedAt = submit.SubmittedAt ?? clock.GetUtcNow(),
        Submitter = StorableText.Storable(Truncate(submit.Submitter, 200)) ?? "", Priority = Truncate(_admission.EffectivePriority(submit.Submitter, submit.Priority), 32)!,
    };

    public void Reject(Batch batch, BatchRejected rejection)
    {
        batch.Status = BatchStatus.Rejected;
        batch.RejectionReason = $"{rejection.Field}: {rejection.Reason}";
        batch.CompletedAt = clock.GetUtcNow();
    }

    /// <summary>
    /// Batch-level errors (strategy, N, aggregation, no problems, limits), and a batch in which no
    /// problem could run: null when the batch can be accepted.
    /// </summary>
    public BatchRejected? Validate(SubmitBatch submit)
    {
        // First, so that no later reason quotes a text that cannot be stored.
        if (StorableText.Problems(submit.Texts()).FirstOrDefault() is { Field: not null } bad)
        {
            return new BatchRejected { BatchId = submit.BatchId, Field = bad.Field, Reason = bad.Reason };
        }

        if (new[] { ("GeneratorModel", submit.GeneratorModel), ("VerifierModel", submit.VerifierModel), ("ReviseModel", submit.ReviseModel) }
                .FirstOrDefault(m => m.Item2 is not null && ModelNames.Problem(m.Item2) is not null) is { Item1: { } model, Item2: { } value })
        {
            return new BatchRejected { BatchId = submit.BatchId, Field = model, Reason = ModelNames.Problem(value)! };
        }

        // A name that is no catalog model is refused here, before anything is accepted, not later at a Generator.
        if (catalog is not null && new[] { ("GeneratorModel", submit.GeneratorModel), ("VerifierModel", submit.VerifierModel), ("ReviseModel", submit.ReviseModel) }
                .FirstOrDefault(m => m.Item2 is not null && !catalog.Exists(m.Item2)) is { Item1: { } unknownField, Item2: { } unknown })
        {
            return new BatchRejected { BatchId = submit.BatchId, Field = unknownField, Reason = $"unknown model '{unknown}': the catalog has {string.Join(", ", catalog.Names())}" };
        }

        if (catalog is not null)
        {
            try
            {
                catalog.StepDelimiter(submit.GeneratorModel ?? options.DefaultGenerator); // reads its recipe too
            }
            catch (Exception e) when (e is InvalidDataException or IOException or Platform.Inference.Models.UnknownModelException)
            {
                return new BatchRejected { BatchId = submit.BatchId, Field = "GeneratorModel", Reason = $"generator '{submit.GeneratorModel ?? options.DefaultGenerator}' cannot be read: {e.Message}" };
            }
        }

        if (Reject(submit) is { } rejection)
        {
            return rejection;
        }

        if (_admission.PriorityProblem(submit.Submitter, submit.Priority) is { } priority)
        {
            return new BatchRejected { BatchId = submit.BatchId, Field = "Priority", Reason = priority };
        }

        // Only a whole batch can be judged all-invalid (a part is one slice of it).
        if (submit.TotalProblems is null && submit.Problems.All(p => ProblemError(p, submit.GeneratorModel) is not null))
        {
            return new BatchRejected
            {
                BatchId = submit.BatchId, Field = "Problems",
                Reason = $"every problem is invalid; problem 0: {ProblemError(submit.Problems[0], submit.GeneratorModel)}",
            };
        }

        return null;
    }

    /// <summary>Problems [from, from + count) with their runs: planned, or failed with the reason when the problem itself is bad.</summary>
    public List<(Run Run, Problem Problem, StrategyPlan? Plan)> PlanRange(SubmitBatch submit, Batch batch, int from, int count)
    {
        var now = clock.GetUtcNow();
        var strategy = EffectiveStrategy(submit);
        var request = new PlanRequest { Strategy = strategy, N = submit.N, Aggregation = submit.Aggregation };
        var seed = submit.Seed ?? BitConverter.ToInt32(submit.BatchId.ToByteArray(), 0) & 0x7fffffff;
        var (policy, followUp, ruleBudget, rule) = (default(ComputeOptimalPolicy), default(string), 0, default(PolicyFollowUp));
        var reviser = submit.ReviseModel ?? options.DefaultReviser;
        if (strategy == Strategies.ComputeOptimal)
        {
            policy = Policy.Policy!; // checked by Validate
            rule = Rule(policy, submit);
            followUp = JsonSerializer.Serialize(rule, ComputeOptimalPolicy.Compact);
            ruleBudget = rule.Budget;
        }

        var usesRevisions = policy?.UsesRevisions == true; // once per batch, not per problem

        // The generator's published recipe (checked by Validate) sets the sampling and search settings the
        // batch leaves open: top_p and the new-token limit always, the temperature of sampling strategies
        // (greedy stays greedy; a fitted policy keeps the temperature it was fitted at), beam width and iterations.
        var generator = submit.GeneratorModel ?? options.DefaultGenerator;
        var recipe = catalog is not null && catalog.Exists(generator) ? catalog.PublishedRecipe(generator) : null;
        var delimiter = catalog is not null && catalog.Exists(generator) ? catalog.StepDelimiter(generator) : null;
        var chatTemplate = ChatTemplate(generator);

        var runs = new List<(Run, Problem, StrategyPlan?)>(count);
        for (var local = from; local < from + count; local++)
        {
            var given = submit.Problems[local]; // null only from a sender on the bus that wrote [null]: that problem fails, not the batch
            var p = given ?? new ProblemSubmission();
            var i = submit.Offset + local; // the problem's index in the whole batch
            var (run, problem) = NewRun(batch, p, i, now);
            string? error;
            try
            {
                error = ProblemError(given, generator, chatTemplate) ?? KnownDifficultyError(given?.DifficultyBin, policy);
                if (error is null)
                {
                    runs.Add((run, problem, PlanOne(run, problem, p, i)));
                    continue;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = $"the Router could not plan this problem: {e.GetType().Name}: {e.Message}"; // a bug fails its problem, not the batch
            }

            runs.Add((Failed(run, submit.Strategy, error!, now), problem, null));
        }

        return runs;

        // One problem's plan (its run's strategy, plan and difficulty set here).
        StrategyPlan PlanOne(Run run, Problem problem, ProblemSubmission p, int i)
        {
            var difficulty = DifficultyHeuristic.Estimate(problem.Text);
            var planned = DefaultPolicy.Plan(difficulty.Bin, request);
            var known = rule is not null && p.DifficultyBin is { } bin ? rule.ByBin[bin - 1] : null;
            var plan = new StrategyPlan
            {
                Strategy = planned.Strategy, N = policy is null ? planned.N : ruleBudget, Aggregation = planned.Aggregation,
                Temperature = policy?.ProbeTemperature ?? (planned.Temperature > 0 ? submit.Temperature ?? recipe?.Temperature ?? planned.Temperature : planned.Temperature),
                TopP = submit.TopP ?? recipe?.TopP ?? 1.0, Probes = policy?.Probes ?? 0, PolicyJson = followUp,
                MaxNewTokens = submit.MaxNewTokens ?? recipe?.MaxNewTokens ?? options.MaxNewTokens, GeneratorModel = generator,
                Conversation = p.Conversation, RawPrompt = p.RawPrompt ?? false,
                VerifierModel = submit.VerifierModel ?? options.DefaultVerifier, StepDelimiter = delimiter, Seed = unchecked(seed + i * 7919),
                BeamWidth = submit.BeamWidth ?? recipe?.BeamWidth ?? 0, Lookahead = submit.Lookahead ?? 0, Iterations = submit.Iterations ?? recipe?.Iterations ?? 0,
                SearchTokenBudget = submit.SearchTokenBudget ?? 0, SelectByValue = submit.SelectByValue ?? false,
                Chains = submit.Chains ?? 0, ChainLength = submit.ChainLength ?? 0, RevisionSelection = submit.RevisionSelection, EarlyStop = submit.EarlyStop,
                Confidence = submit.Confidence,
                ReviseModel = planned.Strategy == Strategies.SequentialRevisions || usesRevisions ? reviser : null,
                BudgetForcing = planned.Strategy == Strategies.BudgetForcing ? submit.BudgetForcing ?? new BudgetForcingSettings() : null,
            };
            if (known is not null)
            {
                // Known (oracle) difficulty: the policy's step for the bin, at once, without probes.
                plan = plan with
                {
                    Strategy = known.Strategy, N = known.N, Aggregation = known.Aggregation, Temperature = known.Temperature, BeamWidth = known.BeamWidth,
                    Lookahead = known.Lookahead, Chains = known.Chains, ChainLength = known.ChainLength, Probes = 0,
                    EarlyStop = known.EarlyStop, Confidence = known.Confidence ?? plan.Confidence,
                };
            }

            run.Strategy = plan.Strategy;
            run.N = plan.N;
            run.PlanJson = JsonSerializer.Serialize(plan, Json);
            run.DifficultyBin = known is not null ? p.DifficultyBin!.Value : difficulty.Bin;
            run.DifficultyScore = known is not null ? 0 : difficulty.Score;
            run.DifficultySource = known is not null ? DifficultySources.Oracle : DifficultySources.Heuristic; // compute-optimal runs with probes replace it with their estimate
            return plan;
        }
    }

    /// <summary>
    /// The problems of an accepted batch that will fail alone when planned, each with the field (as the contract names it) and
    /// the reason its run will store: what the API tells a client at once, by the rule planning applies (<see cref="PlanRange"/>).
    /// </summary>
    public List<(int Index, string Field, string Reason)> ProblemFailures(SubmitBatch submit)
    {
        var generator = submit.GeneratorModel ?? options.DefaultGenerator;
        var chatTemplate = ChatTemplate(generator);
        var policy = EffectiveStrategy(submit) == Strategies.ComputeOptimal ? Policy.Policy : null;
        var failures = new List<(int, string, string)>();
        for (var i = 0; i < submit.Problems.Count; i++)
        {
            var given = submit.Problems[i];
            if ((ProblemError(given, generator, chatTemplate) ?? KnownDifficultyError(given?.DifficultyBin, policy)) is { } error)
            {
                var (field, reason) = error.Split(": ", 2) is [var f, var r] ? (f, r) : ("Problem", error);
                failures.Add((submit.Offset + i, field, reason));
            }
        }

        return failures;
    }

    /// <summary>
    /// Problems [from, from + count) of a message the Router could not plan however often it tried: each is
    /// stored with a failed run giving <paramref name="reason"/>, so the batch still accounts for every problem.
    /// </summary>
    public List<(Run Run, Problem Problem, StrategyPlan? Plan)> FailRange(SubmitBatch submit, Batch batch, int from, int count, string reason) =>
        FailAll(batch, submit.Strategy, Enumerable.Range(from, count).Select(local => (submit.Problems[local] ?? new ProblemSubmission(), submit.Offset + local)), reason);

    /// <summary>
    /// Problems of a batch whose message never arrived (their texts unknown): each index is stored with an
    /// empty problem and a failed run giving <paramref name="reason"/>.
    /// </summary>
    public List<(Run Run, Problem Problem, StrategyPlan? Plan)> FailMissing(Batch batch, IEnumerable<int> indices, string reason) =>
        FailAll(batch, batch.RequestedStrategy, indices.Select(i => (new ProblemSubmission(), i)), reason);

    private List<(Run Run, Problem Problem, StrategyPlan? Plan)> FailAll(Batch batch, string? strategy, IEnumerable<(ProblemSubmission Problem, int Index)> problems, string reason)
    {
        var now = clock.GetUtcNow();
        return [.. problems.Select(x =>
        {
            var (run, problem) = NewRun(batch, x.Problem, x.Index, now);
            return (Failed(run, strategy, reason, now), problem, (StrategyPlan?)null);
        })];
    }

    /// <summary>A problem's row (its texts in storable form) and its main run, not planned yet.</summary>
    private static (Run Run, Problem Problem) NewRun(Batch batch, ProblemSubmission p, int index, DateTimeOffset now)
    {
        var problem = new Problem
        {
            Id = Guid.NewGuid(), BatchId = batch.Id, Index = index, Text = StorableText.Storable(p.Text) ?? "",
            ReferenceAnswer = StorableText.Storable(Truncate(p.ReferenceAnswer, 1000)), Level = StorableText.Storable(Truncate(p.Level, 64)),
            Subject = StorableText.Storable(Truncate(p.Subject, 128)), ExternalId = StorableText.Storable(Truncate(p.ExternalId, 256)),
        };
        return (new Run { Id = Guid.NewGuid(), BatchId = batch.Id, ProblemId = problem.Id, PlanKey = "main", CreatedAt = now, UpdatedAt = now }, problem);
    }

    /// <summary>The run of a problem that cannot run, ended with the reason.</summary>
    private static Run Failed(Run run, string? strategy, string reason, DateTimeOffset now)
    {
        run.Strategy = StorableText.Storable(Truncate(strategy, 64)) ?? "none";
        run.PlanJson = "{}";
        run.Status = RunStatus.Failed;
        run.FailureReason = StorableText.Storable(Truncate(reason, 2000));
        run.CompletedAt = now;
        return run;
    }

    private BatchRejected? Reject(SubmitBatch s)
    {
        BatchRejected R(string field, string reason) => new() { BatchId = s.BatchId, Field = field, Reason = reason };
        if (s.Validate(new BatchLimits(options.MaxProblemsPerBatch, options.MaxNewTokensLimit)) is { } rule)
        {
            return R(rule.Field, rule.Reason);
        }

        if (EffectiveStrategy(s) == Strategies.ComputeOptimal)
        {
            if (Policy is (null, var why))
            {
                return R("Strategy", why!);
            }

            if (PolicyMismatch(Policy.Policy!, s) is { } mismatch)
            {
                return R(mismatch.Field, mismatch.Reason);
            }

            var smallest = Policy.Policy!.Budgets.Min(c => c.Budget);
            if (Budget(s) is null && (s.N ?? DefaultComputeOptimalBudget) < smallest)
            {
                return R("N", $"the fitted policy's smallest budget is {smallest} samples (was {s.N})");
            }

            if (Budget(s) is not null)
            {
                try
                {
                    Rule(Policy.Policy!, s);
                }
                catch (Exception e) when (e is ArgumentException or InvalidDataException)
                {
                    return R(BudgetField(s), e.Message);
                }
            }
        }
        else if (Budget(s) is not null)
        {
            return R(BudgetField(s), "a batch's compute budget is spent by the compute-optimal policy: use strategy compute-optimal (or none, with a fitted policy)");
        }

        return null;
    }

    /// <summary>
    /// The strategy a batch runs: the one it names; when it names none, compute-optimal where a fitted
    /// policy is there and can serve the batch's N, else the built-in rule (<see cref="DefaultPolicy"/>).
    /// </summary>
    public string? EffectiveStrategy(SubmitBatch submit) =>
        submit.Strategy ?? (Policy.Policy is { } p && (Budget(submit) is not null || (submit.N ?? DefaultComputeOptimalBudget) >= p.Budgets.Min(c => c.Budget))
            && (Budget(submit) is not null || PolicyMismatch(p, submit) is null) // other models: the built-in rule, not a policy fitted for different ones
            ? Strategies.ComputeOptimal : null);

    /// <summary>
    /// A policy is fitted with one generator and one verifier (their scores set its difficulty bounds);
    /// a batch naming others is told so, never silently routed by it.
    /// </summary>
    private (string Field, string Reason)? PolicyMismatch(ComputeOptimalPolicy policy, SubmitBatch s)
    {
        var (generator, verifier) = (s.GeneratorModel ?? options.DefaultGenerator, s.VerifierModel ?? options.DefaultVerifier);
        string Reason(string kind, string named, string fitted) =>
            $"the fitted policy (version {policy.Version}) was fitted with {kind} '{fitted}' (generator '{policy.Generator}', verifier '{policy.Verifier}'); this batch names {kind} '{named}': fit a policy for it (ttc policy fit) or name '{fitted}'";
        return policy.Verifier.Length > 0 && verifier != policy.Verifier ? ("VerifierModel", Reason("verifier", verifier, policy.Verifier))
            : policy.Generator.Length > 0 && generator != policy.Generator ? ("GeneratorModel", Reason("generator", generator, policy.Generator))
            : null;
    }

    /// <summary>The policy's rule for a batch: split from its compute budget when it has one (a batch's total over its problems), else for its N.</summary>
    private static PolicyFollowUp Rule(ComputeOptimalPolicy policy, SubmitBatch submit)
    {
        if (Budget(submit) is not { } budget)
        {
            return policy.FollowUp(submit.N ?? DefaultComputeOptimalBudget);
        }

        var perProblem = budget.Scope == ComputeBudgetScopes.Problem ? budget.Amount : budget.Amount / Math.Max(1, submit.TotalProblems ?? submit.Problems.Count);
        return policy.FollowUpFor(budget.Unit == ComputeBudgetUnits.Flops ? BudgetUnit.Flops : BudgetUnit.Tokens, perProblem);
    }

    /// <summary>A batch's compute budget: its <c>budget</c>, or its <c>tokenBudget</c> as a batch total in tokens.</summary>
    private static ComputeBudget? Budget(SubmitBatch s) =>
        s.Budget ?? (s.TokenBudget is { } tokens ? new ComputeBudget { Amount = tokens, Unit = ComputeBudgetUnits.Tokens, Scope = ComputeBudgetScopes.Batch } : null);

    private static string BudgetField(SubmitBatch s) => s.Budget is not null ? "Budget" : "TokenBudget";

    /// <summary>compute-optimal's budget in samples when a batch gives no N.</summary>
    public const int DefaultComputeOptimalBudget = 32;

    /// <summary>Why a problem's known difficulty bin cannot be used, or why a policy for known difficulty cannot route a problem without one.</summary>
    private static string? KnownDifficultyError(int? bin, ComputeOptimalPolicy? policy) => (bin, policy) switch
    {
        ({ } b, _) when b is < 1 or > DifficultyBins.Count => $"DifficultyBin: must be between 1 and {DifficultyBins.Count} (was {b})",
        (null, { NeedsKnownDifficulty: true }) =>
            $"DifficultyBin: the compute-optimal policy (version {policy.Version}) was fitted for known difficulty and this problem gives none (ttc eval --difficulty oracle)",
        _ => null,
    };

    /// <summary>Why a problem cannot run (an unstorable field, an empty or over-long text), naming the field; null when it can.</summary>
    public string? ProblemError(ProblemSubmission? p, string? generator = null) => ProblemError(p, generator ?? options.DefaultGenerator, ChatTemplate(generator));

    /// <summary>Whether the generator renders chats with a chat template; null for a name that is no catalog model (the batch's error, named by Validate).</summary>
    public bool? ChatTemplate(string? generator)
    {
        var model = generator ?? options.DefaultGenerator;
        return catalog is null ? true : catalog.Exists(model) ? catalog.UsesChatTemplate(model) : null;
    }

    /// <summary>As <see cref="ProblemError(ProblemSubmission?, string?)"/>, with the generator's <see cref="ChatTemplate"/> looked up once for many problems.</summary>
    public string? ProblemError(ProblemSubmission? p, string model, bool? chatTemplate) => p.Problem(model, chatTemplate, options.MaxProblemTextBytes);

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
