using System.Text.Json;
using Platform.Contracts;
using Platform.Storage.Entities;

namespace Platform.Operations.Redrive;

/// <summary>
/// The RunPlanned that starts a stored, planned run: sent by the Router's admission scheduler when the run's
/// turn comes, and again by <c>ttc chaos duplicate</c> (a second one is the same start).
/// </summary>
public static class PlannedRuns
{
    public static RunPlanned Message(Run run, Problem problem) => new()
    {
        BatchId = run.BatchId, RunId = run.Id, ProblemId = run.ProblemId, ProblemText = problem.Text, ReferenceAnswer = problem.ReferenceAnswer,
        Plan = JsonSerializer.Deserialize<StrategyPlan>(run.PlanJson, RoundRequests.Json)!,
        Difficulty = new DifficultyEstimate { Bin = run.DifficultyBin, Score = run.DifficultyScore, Source = run.DifficultySource },
    };
}
