using System.Text.Json;
using Platform.Contracts;
using Platform.Operations.Redrive;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// A controller's request as the message that carries it (a <see cref="GenerateCandidates"/> or a <see cref="ScoreCandidates"/>),
/// under its request id, and the queue of the worker it goes to first (null: the shared queue; decision 0023).
/// </summary>
public sealed record RunRequest(IRoundRequest Body, string? Worker = null)
{
    private string? _json;

    public Guid RequestId => Body.RequestId;

    public string Kind => Body.Kind;

    /// <summary>The message as its round stores it (serialized once, as its own type).</summary>
    public string Json => _json ??= JsonSerializer.Serialize(Body, Body.GetType(), RoundRequests.Json);
}

/// <summary>
/// Turns what a run's controller asks for into the messages the Generator and the Verifier take, and
/// stores each as a pending round. No state and no I/O.
/// </summary>
public static class RunMessages
{
    /// <summary>
    /// The message that carries a controller's request to the Generator or the Verifier for round
    /// <paramref name="index"/>. With <paramref name="fused"/>, a generation the controller will score
    /// next asks the Generator to send its samples through the Verifier (<see cref="GenerateCandidates.ThenScore"/>,
    /// the next round's index and request id). A run that has <paramref name="workers"/> sends its generations
    /// and scorings to the Generator and the Verifier that hold its prefixes.
    /// </summary>
    public static RunRequest Message(Guid runId, RunPlan run, string problem, StrategyController controller, ControllerRequest request, int index, bool fused,
        Run? workers = null)
    {
        var (plan, confidence) = run;
        var nodes = controller.Nodes;
        var requestId = RequestIds.For(runId, index, request.Kind);
        GenerationPrefix Prefix(string key) => new() { Key = key, Text = nodes[key].Text };
        SamplingSettings Sampling(double temperature) => new()
        {
            Temperature = temperature, TopK = plan.TopK, TopP = plan.TopP, MaxNewTokens = plan.MaxNewTokens, Seed = unchecked(plan.Seed + index * 1_000_003),
            TopLogProbs = confidence.TopK,
        };
        GenerateCandidates Generate(IReadOnlyList<string> prefixes, int samples, string mode, int steps, double temperature, BudgetForcingSettings? forcing) => new()
        {
            RequestId = requestId, RunId = runId, Round = index, Kind = request.Kind, Model = plan.GeneratorModel, Problem = problem,
            Conversation = plan.Conversation, RawPrompt = plan.RawPrompt, Prefixes = prefixes.Select(Prefix).ToList(), SamplesPerPrefix = samples, Mode = mode, Steps = steps, Sampling = Sampling(temperature),
            BudgetForcing = forcing,
        };
        IRoundRequest body = request switch
        {
            SampleSolutions s => Generate([""], s.Samples, "full", 1, s.Temperature, s.BudgetForcing ? plan.BudgetForcing ?? new BudgetForcingSettings() : null) with
            {
                ConfidenceStop = s.StopBelow is { } threshold ? new ConfidenceStop { Threshold = threshold, Window = confidence.Window } : null,
            },
            ExpandNodes e => Generate(e.Nodes, e.Samples, "step", 1, plan.Temperature, null) with { RolloutSteps = e.RolloutSteps },
            RollOut r => Generate(r.Nodes, 1, r.Steps > 0 ? "step" : "full", Math.Max(1, r.Steps), r.Temperature, null),
            ReviseChains r => Generate([], 1, "revise", 1, r.Temperature, null) with
            {
                Model = plan.ReviseModel is { Length: > 0 } reviser ? reviser : throw new ArgumentException("a sequential-revisions plan names no revision model"),
                Prefixes = r.Chains.Select(c => new GenerationPrefix { Key = c.Key, Attempts = c.Attempts }).ToList(),
            },
            ScoreTexts s => new ScoreCandidates
            {
                RequestId = requestId, RunId = runId, Round = index, Kind = request.Kind, Model = plan.VerifierModel, Problem = problem, StepDelimiter = plan.StepDelimiter,
                Candidates = s.Items.Select(i => new CandidateToScore { Key = i.Key, Text = i.Text }).ToList(),
            },
            _ => throw new ArgumentException($"a {request.GetType().Name} is not a request"),
        };
        if (fused && request.ThenScore is { } scoreKind && body is GenerateCandidates generation && plan.VerifierModel.Length > 0)
        {
            body = generation with
            {
                ThenScore = new ScoreAfterGeneration
                {
                    RequestId = RequestIds.For(runId, index + 1, scoreKind), Round = index + 1, Kind = scoreKind, Model = plan.VerifierModel,
                    StepDelimiter = plan.StepDelimiter, Worker = workers?.VerifierWorker,
                },
            };
        }

        return new RunRequest(body, body is ScoreCandidates ? workers?.VerifierWorker : workers?.GeneratorWorker);
    }

    /// <summary>A pending round holding its request (and the controller's state to take the reply with).</summary>
    public static RunRound Round(Guid runId, int index, RunRequest request, string? state, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid(), RunId = runId, Index = index, Kind = request.Kind, RequestId = request.RequestId, Status = RoundStatus.Pending,
        RequestJson = request.Json, StateJson = state, CreatedAt = now,
    };
}
