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
/// The real consumers and ONNX models on the embedded platform (in-memory bus, SQLite).
/// </summary>
public sealed class ScoredInPassingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-fused").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed record Outcome(List<(int Problem, string? Answer, bool? Correct)> Answers, List<(int Problem, string Text, double? Score, int Steps, bool Selected)> Candidates,
        List<(int Problem, string Kind, int Round, long Generated, long Scored)> Usage, int Rounds);

    private async Task<Outcome> Run(string strategy, bool fused)
    {
        var path = Path.Combine(_dir, $"{strategy}-{fused}.db");
        using var host = EmbeddedPlatform.Build(path, new Dictionary<string, string?> { ["Aggregator:FusedScoring"] = fused.ToString() });
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
                        [.. candidates.Select(c => (index[c.RunId], c.Text, c.Score is { } s ? Math.Round(s, 4) : (double?)null, c.StepScores.Count, c.Selected)).Order()],
                        [.. usage.Select(u => (index[u.RunId], u.Kind, u.Round, u.GeneratedTokens, u.ScoredTokens)).Order()],
                        await db.RunRounds.CountAsync(x => index.Keys.Contains(x.RunId)));
                }

                await Task.Delay(100);
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData("weighted-best-of-n")]
    [InlineData("beam-search")]
    public async Task Scoring_in_passing_gives_the_results_of_scoring_apart_with_a_round_less_per_scoring(string strategy)
    {
        var apart = await Run(strategy, fused: false);
        var together = await Run(strategy, fused: true);
        Assert.Equal(apart.Answers, together.Answers);
        Assert.Equal(apart.Candidates, together.Candidates);
        Assert.Equal(apart.Usage, together.Usage);
        Assert.All(apart.Candidates, c => Assert.NotNull(c.Score));
        var scorings = apart.Usage.Count(u => u.Kind == "score");
        Assert.True(scorings >= 8);
        Assert.Equal(apart.Rounds - scorings, together.Rounds);
    }
}
