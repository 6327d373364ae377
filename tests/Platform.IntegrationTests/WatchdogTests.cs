using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Cli.Embedded;
using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>A run whose request was lost (sent, never answered) is recovered by the Aggregator's watchdog.</summary>
public sealed class WatchdogTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ttc-watchdog-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }

    [Fact]
    public async Task A_stalled_run_gets_its_pending_request_sent_again_and_completes_once()
    {
        var options = PlatformDbContextOptions.Create(StorageProvider.Sqlite, $"Data Source={_path}");
        var old = DateTimeOffset.UtcNow.AddMinutes(-10); // stalled (over StallSeconds), not yet timed out (under RunTimeoutSeconds)
        var batch = new Batch { Id = Guid.NewGuid(), Status = BatchStatus.Accepted, ProblemCount = 1, SubmittedAt = old };
        var problem = new Problem { Id = Guid.NewGuid(), BatchId = batch.Id, Index = 0, Text = "(37+48)*3-19", ReferenceAnswer = "236" };
        var plan = new StrategyPlan { Strategy = "greedy", N = 1, MaxNewTokens = 100, GeneratorModel = "gen-small", VerifierModel = "prm" };
        var run = new Run
        {
            Id = Guid.NewGuid(), BatchId = batch.Id, ProblemId = problem.Id, Strategy = "greedy", N = 1, Status = RunStatus.Running,
            PlanJson = JsonSerializer.Serialize(plan, new JsonSerializerOptions(JsonSerializerDefaults.Web)), CreatedAt = old, UpdatedAt = old,
        };
        // The round as the Aggregator stores it: the request and the controller state that sent it.
        var controller = ControllerRegistry.Create(new StrategyPlan { Strategy = "greedy" });
        controller.Start();
        var request = new GenerateCandidates
        {
            RequestId = RequestIds.For(run.Id, 0, "generate"), RunId = run.Id, Round = 0, Kind = "generate", Model = "gen-small",
            Problem = problem.Text, Prefixes = [new GenerationPrefix()], SamplesPerPrefix = 1, Sampling = new SamplingSettings { MaxNewTokens = 100 },
        };
        await using (var db = new PlatformDbContext(options))
        {
            await DatabaseInitializer.InitializeAsync(db);
            db.AddRange(batch, problem, run, new RunRound
            {
                Id = Guid.NewGuid(), RunId = run.Id, Index = 0, Kind = "generate", RequestId = request.RequestId, Status = RoundStatus.Pending,
                RequestJson = JsonSerializer.Serialize(request, new JsonSerializerOptions(JsonSerializerDefaults.Web)), CreatedAt = old,
                StateJson = ControllerRegistry.Save(controller),
            });
            await db.SaveChangesAsync();
        }

        using var host = EmbeddedPlatform.Build(_path, new Dictionary<string, string?>
        {
            ["Aggregator:StallSeconds"] = "1", ["Aggregator:WatchdogIntervalSeconds"] = "1",
        });
        await host.StartAsync();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            Run? stored = null;
            while (DateTime.UtcNow < deadline)
            {
                await using var db = new PlatformDbContext(options);
                stored = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == run.Id);
                if (stored.Status == RunStatus.Completed && (await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batch.Id)).Status == BatchStatus.Completed)
                {
                    break;
                }

                await Task.Delay(200);
            }

            Assert.Equal(RunStatus.Completed, stored!.Status);
            Assert.NotNull(stored.Correct);
            await Task.Delay(2500); // more watchdog ticks must not add a second result
            await using var check = new PlatformDbContext(options);
            Assert.Equal(1, await check.Candidates.CountAsync(c => c.RunId == run.Id));
            Assert.Equal(1, await check.ComputeUsage.CountAsync(u => u.RunId == run.Id));
            Assert.Equal(BatchStatus.Completed, (await check.Batches.SingleAsync(b => b.Id == batch.Id)).Status);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
