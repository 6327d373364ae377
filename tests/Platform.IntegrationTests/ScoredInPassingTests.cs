using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Cli.Embedded;
using Platform.Contracts;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// Samples scored on their way back (Generator → Verifier → Aggregator, <c>Aggregator:FusedScoring</c>)
/// give the runs of a batch the same candidates, scores, answers and compute records as the Aggregator
/// sending the scoring request itself, with one round (one reply, one transaction) less per scoring.
/// The real consumers and ONNX models on the embedded platform (in-memory bus, SQLite). Also: search
/// with the prefix caches (decision 0022) gives the runs what it gives without them, computing less.
/// </summary>
public sealed class ScoredInPassingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-fused").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed record Outcome(List<(int Problem, string? Answer, bool? Correct)> Answers, List<(int Problem, string Text, int Steps, bool Selected, double? Score)> Candidates,
        List<(int Problem, string Kind, int Round, long Generated, long Scored)> Usage, int Rounds, ComputeUsage Total);

    // The two paths compared without the prefix caches, whose reuse depends on which requests meet in one pass
    // (compared on their own below). Scores are still compared within a tolerance: the two paths put different
    // requests in one Verifier pass, and a pass's padding moves a float32 score in its last digits (a 4-decimal
    // rounding of the same score once read 0.0368 on one path and 0.0369 on the other).
    private Task<Outcome> Run(string strategy, bool fused) => Run(strategy, $"fused-{fused}", new()
    {
        ["Aggregator:FusedScoring"] = fused.ToString(), ["Inference:PrefixCacheMegabytes"] = "0",
    });

    private async Task<Outcome> Run(string strategy, string name, Dictionary<string, string?> settings)
    {
        var path = Path.Combine(_dir, $"{strategy}-{name}.db");
        using var host = EmbeddedPlatform.Build(path, settings);
        await host.StartAsync();
        try
        {
            var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Name = "fused", Problems = PipelineTests.HeldOut(8), Strategy = strategy, N = 4, Seed = 3 };
            await EmbeddedPlatform.Submit(host, batch, CancellationToken.None);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (true)
            {
                await using var scope = host.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
                var stored = await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == batch.BatchId);
                if (stored?.Status == BatchStatus.Completed || DateTime.UtcNow > deadline)
                {
                    Assert.Equal((BatchStatus.Completed, 8), (stored?.Status, stored?.RunsEnded ?? 0));
                    var runs = await db.Runs.AsNoTracking().Include(r => r.Problem).Where(r => r.BatchId == batch.BatchId).ToListAsync();
                    Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
                    var index = runs.ToDictionary(r => r.Id, r => r.Problem!.Index);
                    var candidates = await db.Candidates.AsNoTracking().Include(c => c.StepScores).Where(c => index.Keys.Contains(c.RunId)).ToListAsync();
                    var usage = await db.ComputeUsage.AsNoTracking().Where(u => u.BatchId == batch.BatchId).ToListAsync();
                    return new Outcome(
                        [.. runs.Select(r => (index[r.Id], r.Answer, r.Correct)).Order()],
                        [.. candidates.Select(c => (index[c.RunId], c.Text, c.StepScores.Count, c.Selected, c.Score)).Order()],
                        [.. usage.Select(u => (index[u.RunId], u.Kind, u.Round, u.GeneratedTokens, u.ScoredTokens)).Order()],
                        await db.RunRounds.CountAsync(x => index.Keys.Contains(x.RunId)),
                        new ComputeUsage
                        {
                            PromptTokens = usage.Sum(u => u.PromptTokens), CachedPromptTokens = usage.Sum(u => u.CachedPromptTokens),
                            ScoredTokens = usage.Sum(u => u.ScoredTokens), CachedScoredTokens = usage.Sum(u => u.CachedScoredTokens), Flops = usage.Sum(u => u.Flops),
                        });
                }

                await Task.Delay(100);
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static void SameCandidates(Outcome expected, Outcome actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Candidates.Select(c => (c.Problem, c.Text, c.Steps, c.Selected)), actual.Candidates.Select(c => (c.Problem, c.Text, c.Steps, c.Selected)));
        Assert.All(expected.Candidates.Zip(actual.Candidates), p => Assert.Equal(p.First.Score ?? -1, p.Second.Score ?? -1, tolerance));
    }

    [Theory]
    [InlineData("weighted-best-of-n")]
    [InlineData("beam-search")]
    public async Task Scoring_in_passing_gives_the_results_of_scoring_apart_with_a_round_less_per_scoring(string strategy)
    {
        var apart = await Run(strategy, fused: false);
        var together = await Run(strategy, fused: true);
        Assert.Equal(apart.Answers, together.Answers);
        SameCandidates(apart, together);
        Assert.Equal(apart.Usage, together.Usage);
        Assert.All(apart.Candidates, c => Assert.NotNull(c.Score));
        var scorings = apart.Usage.Count(u => u.Kind == "score");
        Assert.True(scorings >= 8);
        Assert.Equal(apart.Rounds - scorings, together.Rounds);
    }

    [Theory]
    [InlineData("beam-search")]
    [InlineData("dvts")]
    public async Task Search_with_the_prefix_caches_gives_the_same_runs_and_computes_less(string strategy)
    {
        var uncached = await Run(strategy, "uncached", new() { ["Inference:PrefixCacheMegabytes"] = "0" });
        var cached = await Run(strategy, "cached", []);
        Assert.Equal(uncached.Answers, cached.Answers);
        SameCandidates(uncached, cached, tolerance: 1e-3);
        Assert.Equal(uncached.Usage.Select(u => (u.Problem, u.Kind, u.Round, u.Generated, u.Scored)), cached.Usage.Select(u => (u.Problem, u.Kind, u.Round, u.Generated, u.Scored)));

        // The same tokens read, fewer computed: what the caches served is counted apart, and FLOPs only for what was computed
        // (without the caches, a request's samples still share their prompt's pass: those tokens count as cached too).
        Assert.Equal(uncached.Total.ScoredTokens, cached.Total.ScoredTokens);
        Assert.Equal(uncached.Total.PromptTokens + uncached.Total.CachedPromptTokens, cached.Total.PromptTokens + cached.Total.CachedPromptTokens);
        Assert.True(cached.Total.PromptTokens < uncached.Total.PromptTokens / 2, $"prompt tokens computed: {cached.Total.PromptTokens} cached, {uncached.Total.PromptTokens} uncached");
        Assert.True(cached.Total.CachedScoredTokens > cached.Total.ScoredTokens / 2, $"{cached.Total.CachedScoredTokens} of {cached.Total.ScoredTokens} scored tokens from the cache");
        Assert.True(cached.Total.Flops < uncached.Total.Flops / 2, $"FLOPs {cached.Total.Flops:E2} cached, {uncached.Total.Flops:E2} uncached");
    }
}
