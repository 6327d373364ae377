using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Cli.Embedded;
using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// The Aggregator takes replies in batches (one transaction for many runs): a reply its run's controller
/// cannot take fails that run alone, the other runs of the batch complete, a duplicate beside its
/// original changes nothing, and the batch's counters see every ended run once. Runs the real
/// consumers on the embedded platform (in-memory bus, SQLite) with hand-made runs and replies.
/// </summary>
public sealed class ReplyBatchTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ttc-reply-batch-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_path) + "*"))
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_reply_its_controller_cannot_take_fails_only_its_run_and_a_duplicate_changes_nothing()
    {
        await WithHost(async host =>
        {
            var batch = new Batch { Id = Guid.NewGuid(), Name = "reply-batch", Status = BatchStatus.Accepted, ProblemCount = 3, SubmittedAt = DateTimeOffset.UtcNow };
            var runs = new List<(Run Run, Guid RequestId)>();
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
                db.Batches.Add(batch);
                for (var i = 0; i < 3; i++)
                {
                    var problem = new Problem { Id = Guid.NewGuid(), BatchId = batch.Id, Index = i, Text = $"{i}+40", ReferenceAnswer = $"{i + 40}" };
                    var plan = new StrategyPlan { Strategy = "greedy", N = 1, GeneratorModel = "gen-small", VerifierModel = "prm", MaxNewTokens = 64, Seed = 7 };
                    var run = new Run
                    {
                        Id = Guid.NewGuid(), BatchId = batch.Id, ProblemId = problem.Id, Strategy = "greedy", N = 1, PlanJson = JsonSerializer.Serialize(plan, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
                        DifficultySource = "heuristic", Status = RunStatus.Running, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
                    };
                    var controller = ControllerRegistry.Create(plan);
                    var first = controller.Start();
                    var requestId = Guid.NewGuid();
                    db.Problems.Add(problem);
                    db.Runs.Add(run);
                    db.RunRounds.Add(new RunRound
                    {
                        Id = Guid.NewGuid(), RunId = run.Id, Index = 0, Kind = first.Kind, RequestId = requestId, Status = RoundStatus.Pending,
                        StateJson = ControllerRegistry.Save(controller), CreatedAt = DateTimeOffset.UtcNow,
                    });
                    runs.Add((run, requestId));
                }

                await db.SaveChangesAsync();
            }

            CandidatesGenerated Reply(int i, string prefix, string answer) => new()
            {
                RequestId = runs[i].RequestId, RunId = runs[i].Run.Id, Round = 0, Kind = "generate",
                Samples = [new GeneratedSample { PrefixKey = prefix, SampleIndex = 0, Text = $"{i}+40={answer}\nA: {answer}", TokenCount = 9, FinishReason = "eos" }],
                Usage = new ComputeUsage { Model = "gen-small", GeneratedTokens = 9, Flops = 1e6 },
            };

            // Run 0 and 2 answer; run 1's sample continues a node its controller never made. Run 0's reply comes twice.
            var bus = host.Services.GetRequiredService<IBus>();
            await bus.PublishBatch([Reply(0, "", "40"), Reply(1, "no-such-node", "41"), Reply(2, "", "42"), Reply(0, "", "40")]);

            await AfterCompletion(host, batch.Id, async (db, stored) =>
            {
                Assert.Equal((BatchStatus.Completed, 3), (stored.Status, stored.RunsEnded));
                var ended = await db.Runs.AsNoTracking().Where(r => r.BatchId == batch.Id).ToDictionaryAsync(r => r.Id);
                Assert.Equal((RunStatus.Completed, "40", (bool?)true), (ended[runs[0].Run.Id].Status, ended[runs[0].Run.Id].Answer, ended[runs[0].Run.Id].Correct));
                Assert.Equal((RunStatus.Completed, "42", (bool?)true), (ended[runs[2].Run.Id].Status, ended[runs[2].Run.Id].Answer, ended[runs[2].Run.Id].Correct));
                var failed = ended[runs[1].Run.Id];
                Assert.Equal(RunStatus.Failed, failed.Status);
                Assert.Contains("controller could not take the generation reply", failed.FailureReason);

                // Each reply counted once: one candidate and one usage row per run, the duplicate's compute not added.
                Assert.Equal(2, await db.Candidates.CountAsync(c => ended.Keys.Contains(c.RunId)));
                Assert.Equal(3, await db.ComputeUsage.CountAsync(u => u.BatchId == batch.Id));
                Assert.Equal(9, ended[runs[0].Run.Id].GeneratedTokens);
            });
        });
    }

    [Fact]
    public async Task Planned_runs_start_together_and_a_duplicate_an_ended_run_or_a_refused_plan_changes_only_itself()
    {
        await WithHost(async host =>
        {
            var batch = new Batch { Id = Guid.NewGuid(), Name = "start-batch", Status = BatchStatus.Accepted, ProblemCount = 5, SubmittedAt = DateTimeOffset.UtcNow };
            var messages = new List<RunPlanned>();
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
                db.Batches.Add(batch);
                for (var i = 0; i < 5; i++)
                {
                    // Run 3 has a strategy no controller knows; run 4 was cancelled before its RunPlanned arrived.
                    var problem = new Problem { Id = Guid.NewGuid(), BatchId = batch.Id, Index = i, Text = $"{i}+40", ReferenceAnswer = $"{i + 40}" };
                    var plan = new StrategyPlan { Strategy = i == 3 ? "no-such-strategy" : "weighted-best-of-n", N = 2, GeneratorModel = "gen-small", VerifierModel = "prm", MaxNewTokens = 64, Seed = 7 };
                    var run = new Run
                    {
                        Id = Guid.NewGuid(), BatchId = batch.Id, ProblemId = problem.Id, Strategy = plan.Strategy, N = 2, PlanJson = JsonSerializer.Serialize(plan, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
                        DifficultySource = "heuristic", Status = i == 4 ? RunStatus.Cancelled : RunStatus.Planned, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
                        CompletedAt = i == 4 ? DateTimeOffset.UtcNow : null,
                    };
                    db.Problems.Add(problem);
                    db.Runs.Add(run);
                    messages.Add(new RunPlanned { BatchId = batch.Id, RunId = run.Id, ProblemId = problem.Id, ProblemText = problem.Text, ReferenceAnswer = problem.ReferenceAnswer, Plan = plan });
                }

                batch.RunsEnded = 1; // the cancelled run
                await db.SaveChangesAsync();
            }

            // All five at once, run 0's twice.
            await host.Services.GetRequiredService<IBus>().PublishBatch([.. messages, messages[0]]);

            await AfterCompletion(host, batch.Id, async (db, stored) =>
            {
                Assert.Equal((BatchStatus.Completed, 5), (stored.Status, stored.RunsEnded));
                var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == batch.Id).ToDictionaryAsync(r => r.Id);
                Assert.All(messages.Take(3), m => Assert.Equal(RunStatus.Completed, runs[m.RunId].Status));
                Assert.Equal(RunStatus.Failed, runs[messages[3].RunId].Status);
                Assert.Contains("strategy settings: unknown strategy 'no-such-strategy'", runs[messages[3].RunId].FailureReason);
                Assert.Equal(RunStatus.Cancelled, runs[messages[4].RunId].Status);

                // One round 0 per started run, and the duplicate RunPlanned sampled nothing more.
                var rounds = await db.RunRounds.AsNoTracking().Where(r => runs.Keys.Contains(r.RunId)).ToListAsync();
                Assert.Equal(3, rounds.Count);
                Assert.All(messages.Take(3), m => Assert.Single(rounds, r => r.RunId == m.RunId && r.Index == 0));
                Assert.Equal(6, await db.Candidates.CountAsync(c => runs.Keys.Contains(c.RunId)));
                Assert.Equal(6, await db.ComputeUsage.CountAsync(u => u.BatchId == batch.Id));
            });
        });
    }

    /// <summary>Polls until the batch has completed (60 s at most), then runs the assertions on a fresh context.</summary>
    private static async Task AfterCompletion(IHost host, Guid batchId, Func<PlatformDbContext, Batch, Task> assert)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var stored = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId);
            if (stored.Status == BatchStatus.Completed || DateTime.UtcNow > deadline)
            {
                await assert(db, stored);
                return;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Runs <paramref name="test"/> on a started embedded platform (replies batched for up to 200 ms), stopped afterwards.</summary>
    private async Task WithHost(Func<IHost, Task> test)
    {
        using var host = EmbeddedPlatform.Build(_path, new Dictionary<string, string?> { ["Aggregator:ReplyBatchMilliseconds"] = "200" });
        await host.StartAsync();
        try
        {
            await test(host);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
