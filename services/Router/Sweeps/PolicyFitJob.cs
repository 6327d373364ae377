using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;
using Quartz;

using Platform.Operations.Policies;
using Platform.Operations.Sweeps;

namespace Platform.Router.Sweeps;

/// <summary>
/// Fits the compute-optimal policy from a completed sweep (triggered by <see cref="SweepJob"/>, or by
/// hand with the sweep's key): each cell's batch is one configuration; difficulty is predicted from the
/// probe cell, oracle bins come from the oracle cell; the policy is stored as the next version and, with
/// <see cref="SweepOptions.Activate"/>, made active, so every Router routes by it within
/// <see cref="RouterOptions.PolicyRefreshSeconds"/>. A sweep is fitted once (its row keeps the version).
/// </summary>
[DisallowConcurrentExecution]
public sealed class PolicyFitJob(PlatformDbContext db, IOptions<SweepOptions> options, TimeProvider clock, ILogger<PolicyFitJob> logger) : IJob
{
    public static readonly JobKey Key = new("policy-fit", "sweeps");
    public const string SweepKey = "sweep";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var key = context.MergedJobDataMap.GetString(SweepKey);
        var sweep = await db.Sweeps.SingleOrDefaultAsync(s => s.Key == key, cancellationToken);
        logger.LogInformation("policy-fit job fired for sweep {Sweep} (fire {FireId} on scheduler instance {Instance})", key, context.FireInstanceId, context.Scheduler.SchedulerInstanceId);
        if (sweep is null || sweep.Status != "completed")
        {
            logger.LogWarning("policy fit skipped: sweep {Sweep} {State}", key, sweep is null ? "does not exist" : $"is {sweep.Status}, not completed");
            return;
        }

        if (sweep.PolicyVersion is { } fitted)
        {
            logger.LogInformation("policy fit skipped: sweep {Sweep} was fitted already (version {Version})", key, fitted);
            return;
        }

        var cells = await db.SweepCells.AsNoTracking().Where(c => c.SweepId == sweep.Id && c.Status == SweepCellStatus.Completed && c.BatchId != null).ToListAsync(cancellationToken);
        var configurations = new List<SweepRuns>();
        foreach (var cell in cells)
        {
            configurations.Add(await SweepRuns.Load(db, cell.Name, cell.BatchId, cancellationToken));
        }

        using var config = System.Text.Json.JsonDocument.Parse(sweep.ConfigJson);
        var budgets = config.RootElement.GetProperty("budgets").EnumerateArray().Select(b => b.GetInt32()).ToList();
        SweepFitResult result;
        try
        {
            result = SweepFit.Fit(configurations, new SweepFitSettings
            {
                Oracle = options.Value.Oracle, Probes = options.Value.Probes, Budgets = [.. budgets.Prepend(1).Distinct().Order()],
                BudgetBy = options.Value.BudgetBy, CompareUniform = options.Value.CompareUniform,
            });
        }
        catch (ArgumentException e)
        {
            logger.LogError("policy fit of sweep {Sweep} failed: {Reason} (Router:Sweeps:Oracle / Probes)", key, e.Message);
            return;
        }

        // Stored, activated and recorded on the sweep at once: a crash leaves all or nothing, and a recovered fire fits again.
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var version = await PolicyStore.Import(db, result.Policy!, clock.GetUtcNow(), cancellationToken);
        if (options.Value.Activate)
        {
            await PolicyStore.Activate(db, version, cancellationToken);
        }

        sweep.PolicyVersion = version;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        var top = result.Curve[^1];
        logger.LogInformation("sweep {Sweep} fitted: policy version {Version}{Active}; at N = {Budget} compute-optimal {Accuracy:P1} (2-fold) with {Tokens:0} tokens a problem against weighted best-of-N's {Weighted:P1}",
            key, version, options.Value.Activate ? " (active)" : "", top.Budget, top.Accuracy, top.Tokens, top.WeightedAccuracy);
    }
}
