using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Platform.Contracts;
using Platform.Operations.Redrive;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// A run's plan as the Aggregator uses it, read once per run: the plan the Router stored (the controller is made
/// from it, <see cref="ControllerRegistry.Create"/>), with the settings every round needs already parsed (how its
/// traces' confidence is read). The Router validated it; nothing here validates again.
/// </summary>
public sealed record RunPlan(StrategyPlan Plan, ConfidenceSettings Confidence)
{
    public static RunPlan Of(StrategyPlan plan) => new(plan, ControllerRegistry.ConfidenceOf(plan));
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
