using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// Rounds go to the worker that holds their prefix (decision 0023), over real RabbitMQ and PostgreSQL with
/// two Generators and two Verifiers: each run stays on one of each, and a worker lost mid-search costs its
/// runs a wait of HoldSeconds, never a round.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class AffinityTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Each_search_run_stays_on_the_Generator_and_the_Verifier_that_served_its_first_round()
    {
        await using var hosts = await PlatformHosts.Start(servers, workers: 2);
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(8), Strategy = "beam-search", N = 4, Seed = 3 };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(8, done.Completed);

        var own = hosts.Workers.Select(h => h.Services.GetRequiredService<WorkerQueues>().Own).ToHashSet();
        Assert.Equal(4, own.Count); // every worker has a queue of its own
        await using var db = hosts.NewContext();
        var usage = await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId).ToListAsync();
        Assert.All(usage, u => Assert.Contains(u.Worker, own));
        foreach (var run in usage.GroupBy(u => u.RunId))
        {
            // Every round after the first went to the worker that served the one before: one Generator and one Verifier per run.
            Assert.Single(run.Where(u => u.Model == "gen-small").Select(u => u.Worker).Distinct());
            Assert.Single(run.Where(u => u.Model == "prm").Select(u => u.Worker).Distinct());

            // So each later round reads its problem and partial solution from that worker's caches.
            Assert.All(run.Where(u => u.Model == "gen-small" && u.Round > 0), u => Assert.True(u.CachedPromptTokens > u.PromptTokens,
                $"round {u.Round}: {u.CachedPromptTokens} prompt tokens from the cache, {u.PromptTokens} computed"));
            Assert.Contains(run, u => u.Model == "prm" && u.CachedScoredTokens > 0);
        }

        // Both Generators served runs: the first rounds still spread over the shared queue.
        Assert.Equal(2, usage.Where(u => u.Model == "gen-small").Select(u => u.Worker).Distinct().Count());
    }

    [Fact]
    public async Task A_Generator_lost_mid_search_hands_its_runs_to_the_other_and_loses_no_round()
    {
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Messaging:Affinity:HoldSeconds"] = "2" }, workers: 2);
        // Enough runs of enough rounds that some are still mid-search when the Generator goes (6 runs at N = 4 took 3 s in all,
        // and on a slower machine every run the lost Generator had served could be over by then).
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(16), Strategy = "beam-search", N = 8, Seed = 8 };
        await hosts.Send(batch, QueueNames.SubmitBatch);

        // Once both Generators have served rounds, one of them goes for good.
        var generators = hosts.Workers.Where((_, i) => i % 2 == 0).ToList();
        var lost = generators[0].Services.GetRequiredService<WorkerQueues>().Own;
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var db = hosts.NewContext();
            if (await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId && u.Model == "gen-small").Select(u => u.Worker).Distinct().CountAsync() == 2)
            {
                break;
            }

            await Task.Delay(20);
        }

        await hosts.Stop(generators[0]);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(16, done.Completed);

        await using (var db = hosts.NewContext())
        {
            var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync();
            Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
            var usage = await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId).ToListAsync();
            Assert.Equal(usage.Count, usage.Select(u => u.RequestId).Distinct().Count()); // no round served twice

            // The runs the lost Generator served went on on the other one.
            var moved = usage.Where(u => u.Model == "gen-small").GroupBy(u => u.RunId)
                .Count(run => run.Any(u => u.Worker == lost) && run.Any(u => u.Worker != lost));
            Assert.True(moved > 0, "a run the lost Generator served should have gone on on the other");
        }
    }
}
