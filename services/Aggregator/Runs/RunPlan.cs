using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Platform.Contracts;
using Platform.Operations.Redrive;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Policy;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// A run's plan as the Aggregator uses it, read once per run: the plan the Router stored, with the settings
/// every round needs already parsed (how its traces' confidence is read). The Router validated it; nothing here
/// validates again.
/// </summary>
public sealed record RunPlan(StrategyPlan Plan, ConfidenceSettings Confidence)
{
    public static RunPlan Of(StrategyPlan plan) => new(plan, plan.Confidence is { } spec ? ConfidenceSettings.Parse(spec) : new ConfidenceSettings());

    /// <summary>The controller settings the plan asks for (the same mapping for every strategy); read when the run starts.</summary>
    public ControllerSettings Settings() => new()
    {
        Strategy = Plan.Strategy, N = Plan.N, Aggregation = Plan.Aggregation, Temperature = Plan.Temperature, BeamWidth = Plan.BeamWidth,
        Lookahead = Plan.Lookahead, MaxRounds = Plan.MaxRounds, Iterations = Plan.Iterations, Exploration = Plan.ExplorationConstant,
        TokenBudget = Plan.SearchTokenBudget, SelectByValue = Plan.SelectByValue, Probes = Plan.Probes,
        Chains = Plan.Chains, ChainLength = Plan.ChainLength, RevisionSelection = Plan.RevisionSelection, EarlyStop = Plan.EarlyStop is { } stop ? EarlyStop.Parse(stop) : null,
        Confidence = Plan.Confidence is null ? null : Confidence,
        Policy = Plan.PolicyJson is { } policy ? JsonSerializer.Deserialize<PolicyFollowUp>(policy, ComputeOptimalPolicy.Json) : null,
    };
}

/// <summary>
/// The plans of the runs this Aggregator drives, each parsed from its stored JSON once and kept while its rounds come back
/// (a bounded cache: a run not seen for a while is read again from the row its reply loads anyway).
/// </summary>
public sealed class RunPlans : IDisposable
{
    private readonly MemoryCache _plans = new(new MemoryCacheOptions { SizeLimit = 50_000 });

    public RunPlan For(Run run) => _plans.GetOrCreate(run.Id, entry =>
    {
        entry.Size = 1;
        entry.SlidingExpiration = TimeSpan.FromMinutes(30);
        return RunPlan.Of(JsonSerializer.Deserialize<StrategyPlan>(run.PlanJson, RoundRequests.Json)!);
    })!;

    /// <summary>A run that starts: its plan arrived with the message, so its first reply need not parse it.</summary>
    public RunPlan Started(Guid runId, StrategyPlan plan) =>
        _plans.Set(runId, RunPlan.Of(plan), new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(30) });

    public void Dispose() => _plans.Dispose();
}
