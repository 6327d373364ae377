using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>Verifier-guided search through the message loop over real RabbitMQ and PostgreSQL.</summary>
[Collection(ServersCollection.Name)]
public sealed class SearchPipelineTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("beam-search", 4)]
    [InlineData("mcts", 4)]
    public async Task A_search_strategy_runs_round_by_round_to_a_graded_answer(string strategy, int n)
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(3), Strategy = strategy, N = n, Seed = 5 };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(3, done.Completed);

        await using var db = hosts.NewContext();
        foreach (var run in await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync())
        {
            var rounds = await db.RunRounds.Where(r => r.RunId == run.Id).OrderBy(r => r.Index).ToListAsync();
            Assert.True(rounds.Count >= 2, "a search takes several rounds");
            Assert.All(rounds, r => Assert.Equal(RoundStatus.Done, r.Status));
            Assert.All(rounds, r => Assert.NotNull(r.StateJson));
            Assert.Equal(rounds.Count, rounds.Select(r => r.Index).Distinct().Count());
            Assert.Equal("expand", rounds[0].Kind);
            if (strategy == "mcts")
            {
                Assert.Contains(rounds, r => r.Kind == "rollout"); // simulations really run
            }

            // Every round's compute is recorded, so budgets compare across strategies; an expansion scored in
            // passing (beam search without lookahead) records its scoring under the id of the round after it.
            var usage = await db.ComputeUsage.Where(u => u.RunId == run.Id).ToListAsync();
            var requests = rounds.SelectMany(r => System.Text.Json.JsonSerializer.Deserialize<GenerateCandidates>(r.RequestJson!, Json)?.ThenScore is { } then
                ? [r.RequestId, then.RequestId]
                : new[] { r.RequestId }).ToList();
            Assert.Equal(requests.Order(), usage.Select(u => u.RequestId).Order());
            Assert.Equal(strategy == "beam-search", requests.Count > rounds.Count);
            Assert.True(requests.Count >= 3, "a search makes several requests");

            // The tree: nodes below the root name their parents; scored nodes have step scores.
            var candidates = await db.Candidates.Where(c => c.RunId == run.Id).Include(c => c.StepScores).ToListAsync();
            Assert.Contains(candidates, c => c.ParentKey is { Length: > 0 });
            Assert.All(candidates.Where(c => c.Score is not null), c => Assert.Equal(c.StepCount, c.StepScores.Count));
            Assert.True(candidates.Count(c => c.Selected) <= 1);
            Assert.NotNull(run.Correct);
        }
    }

    [Fact]
    public async Task Sequential_revisions_run_their_chains_round_by_round_through_the_revision_model()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var batch = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(3), Strategy = "sequential-revisions", N = 6, Chains = 2, ChainLength = 3, Seed = 4,
        };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(3, done.Completed);

        await using var db = hosts.NewContext();
        foreach (var run in await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync())
        {
            // A first attempt per chain from the generator, two revision rounds, then one scoring round.
            var rounds = await db.RunRounds.Where(r => r.RunId == run.Id).OrderBy(r => r.Index).ToListAsync();
            Assert.Equal(["generate", "revise", "revise", "score"], rounds.Select(r => r.Kind));
            Assert.All(rounds, r => Assert.Equal(RoundStatus.Done, r.Status));

            // Compute is counted per round, and the revisions are the revision model's.
            var usage = await db.ComputeUsage.Where(u => u.RunId == run.Id).OrderBy(u => u.Round).ToListAsync();
            Assert.Equal(["gen-small", "gen-revise", "gen-revise", "prm"], usage.Select(u => u.Model));
            Assert.All(usage.Take(3), u => Assert.True(u.GeneratedTokens > 0 && u.Flops > 0));
            Assert.True(usage[2].PromptTokens + usage[2].CachedPromptTokens > usage[1].PromptTokens + usage[1].CachedPromptTokens,
                "the second revision reads one more attempt");
            Assert.True(usage[2].CachedPromptTokens > 0, "the second revision reads the first's prompt from the prefix cache");

            // Six attempts: two chains of three, each revision linked to the attempt it revises; all scored, one picked.
            var candidates = await db.Candidates.Where(c => c.RunId == run.Id).Include(c => c.StepScores).ToListAsync();
            Assert.Equal(6, candidates.Count);
            Assert.Equal(2, candidates.Count(c => c.ParentKey is null));
            var byKey = candidates.ToDictionary(c => c.Key);
            Assert.All(candidates.Where(c => c.ParentKey is not null), c => Assert.True(byKey.ContainsKey(c.ParentKey!)));
            Assert.All(candidates, c => Assert.NotNull(c.Score));
            Assert.Single(candidates, c => c.Selected);
            Assert.Equal(candidates.Single(c => c.Selected).ExtractedAnswer, run.Answer);
            Assert.NotNull(run.Correct);
        }
    }

    [Fact]
    public async Task An_Aggregator_stopped_mid_search_and_started_again_completes_each_run_once()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(12).Skip(6).Take(3).ToList(), Strategy = "beam-search", N = 16, Seed = 9 };
        await hosts.Send(batch, QueueNames.SubmitBatch);

        // Wait until the searches are under way, then stop the Aggregator.
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var db = hosts.NewContext();
            var runIds = await db.Runs.Where(r => r.BatchId == batch.BatchId).Select(r => r.Id).ToListAsync();
            if (runIds.Count > 0 && await db.RunRounds.CountAsync(r => runIds.Contains(r.RunId) && r.Status == RoundStatus.Done) >= 3)
            {
                break;
            }

            await Task.Delay(50);
        }

        await hosts.StopAggregator();
        int stoppedAt;
        await using (var db = hosts.NewContext())
        {
            Assert.True(await db.Runs.AnyAsync(r => r.BatchId == batch.BatchId && r.Status == RunStatus.Running), "the search should still be running when the Aggregator stops");
            stoppedAt = await db.RunRounds.CountAsync(r => r.Status == RoundStatus.Done);
        }

        await Task.Delay(1500); // replies wait in the Aggregator's queues
        await hosts.StartAggregator();
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(3, done.Completed);

        await using (var db = hosts.NewContext())
        {
            var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync();
            Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
            Assert.True(await db.RunRounds.CountAsync(r => r.Status == RoundStatus.Done) > stoppedAt, "the search continued after the restart");
            foreach (var run in runs)
            {
                Assert.True(await db.Candidates.CountAsync(c => c.RunId == run.Id && c.Selected) <= 1);
                var usage = await db.ComputeUsage.Where(u => u.RunId == run.Id).Select(u => u.RequestId).ToListAsync();
                Assert.Equal(usage.Count, usage.Distinct().Count());
            }
        }

        // One result per run, however often it was published.
        var results = hosts.Observed.RunsCompleted.Where(r => r.BatchId == batch.BatchId).GroupBy(r => r.RunId).ToList();
        Assert.Equal(3, results.Count);
        Assert.All(results, g => Assert.Single(g.Select(r => (r.Answer, r.Correct)).Distinct()));
    }
}
