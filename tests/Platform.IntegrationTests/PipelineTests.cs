using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Ingestion;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>The four services as separate hosts over real RabbitMQ and PostgreSQL.</summary>
[Collection(ServersCollection.Name)]
public sealed class PipelineTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static List<ProblemSubmission> HeldOut(int count) =>
        ProblemLines.Parse(File.ReadLines(Repository.Path("data/arith/heldout.jsonl"))).Problems.Take(count)
            .Select(p => new ProblemSubmission { Text = p.Text, ReferenceAnswer = p.ReferenceAnswer, Level = p.Level }).ToList();

    [Fact]
    public async Task A_batch_of_twenty_runs_through_the_four_services_with_graded_answers_and_exact_usage()
    {
        // Two Generators and two Verifiers share the work as competing consumers. No fitted policy here:
        // a batch without a strategy gets the built-in rule (greedy for easy, weighted BoN for harder).
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:PolicyFile"] = "/nonexistent/policy.json" }, workers: 2);
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Name = "twenty", Problems = HeldOut(20), Seed = 11 };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        await hosts.Send(batch, QueueNames.SubmitBatch); // a duplicate submission adds nothing

        var completed = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(20, completed.Runs);
        var served = hosts.Workers.Select(h => h.Services.GetService<Platform.Generator.GenerationService>()?.Steps).Where(b => b is not null).ToList();
        Assert.Equal(2, served.Count);
        Assert.All(served, b => Assert.True(b > 0, "each Generator instance should have served part of the batch"));
        Assert.Equal(20, completed.Completed);
        Assert.Equal(0, completed.Failed);

        await using var db = hosts.NewContext();
        Assert.Equal(1, await db.Batches.CountAsync(b => b.Id == batch.BatchId));
        var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).Include(r => r.Problem).ToListAsync();
        Assert.Equal(20, runs.Count);
        Assert.All(runs, r =>
        {
            Assert.Equal(RunStatus.Completed, r.Status);
            Assert.NotNull(r.Correct); // every problem has a reference, so every result is graded
            Assert.InRange(r.DifficultyBin, 1, 5);
        });
        Assert.Equal(completed.Correct, runs.Count(r => r.Correct == true));
        Assert.Contains(runs, r => r.Strategy == "greedy");
        Assert.Contains(runs, r => r.Strategy == "weighted-best-of-n");

        // One selected candidate per run, N candidates per run, step scores for every verifier-scored step.
        foreach (var run in runs)
        {
            var candidates = await db.Candidates.Where(c => c.RunId == run.Id).Include(c => c.StepScores).ToListAsync();
            Assert.Equal(run.N, candidates.Count);
            Assert.Single(candidates, c => c.Selected);
            Assert.Equal(run.Answer, candidates.Single(c => c.Selected).ExtractedAnswer);
            if (run.Strategy == "weighted-best-of-n")
            {
                Assert.All(candidates, c => Assert.Equal(c.StepCount, c.StepScores.Count));
            }
        }

        // Usage: one row per request, and the batch totals equal the per-request records. A weighted best-of-N
        // run's samples were scored on their way back (Generator → Verifier → Aggregator): one round, whose
        // generation and scoring each have their row, under the ids the two rounds would have had apart.
        var usage = await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId).ToListAsync();
        var rounds = await db.RunRounds.Where(r => runs.Select(x => x.Id).Contains(r.RunId)).ToListAsync();
        Assert.Equal(usage.Count, usage.Select(u => u.RequestId).Distinct().Count());
        Assert.Subset(usage.Select(u => u.RequestId).ToHashSet(), rounds.Select(r => r.RequestId).ToHashSet());
        foreach (var run in runs.Where(r => r.Strategy == "weighted-best-of-n"))
        {
            var round = Assert.Single(rounds, r => r.RunId == run.Id);
            Assert.Equal(("generate", 0), (round.Kind, round.Index));
            Assert.Equal([("generate", 0, round.RequestId), ("score", 1, Platform.Reasoning.Planning.RequestIds.For(run.Id, 1, "score"))],
                usage.Where(u => u.RunId == run.Id).OrderBy(u => u.Round).Select(u => (u.Kind, u.Round, u.RequestId)));
        }

        Assert.Equal(rounds.Count + runs.Count(r => r.Strategy == "weighted-best-of-n"), usage.Count);
        Assert.Equal(usage.Sum(u => u.GeneratedTokens), completed.Usage.GeneratedTokens);
        Assert.Equal(usage.Sum(u => u.PromptTokens), completed.Usage.PromptTokens);
        Assert.Equal(usage.Sum(u => u.ScoredTokens), completed.Usage.ScoredTokens);
        Assert.Equal(usage.Sum(u => u.Flops), completed.Usage.Flops, 1e-9 * completed.Usage.Flops);
        Assert.True(completed.Usage.GeneratedTokens > 0 && completed.Usage.ScoredTokens > 0);
        var sampled = await db.Candidates.Where(c => runs.Select(r => r.Id).Contains(c.RunId)).SumAsync(c => c.TokenCount);
        Assert.Equal(sampled, completed.Usage.GeneratedTokens);

        // Analysts' view agrees.
        await using var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("select runs, correct, generated_tokens, flops from ttc.batch_compute where batch_id = @id", connection);
        query.Parameters.AddWithValue("id", batch.BatchId);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(20L, reader.GetInt64(0));
        Assert.Equal((long)completed.Correct, reader.GetInt64(1));
        Assert.Equal(completed.Usage.GeneratedTokens, reader.GetInt64(2));
        Assert.Equal(completed.Usage.Flops, reader.GetDouble(3), 1e-9 * completed.Usage.Flops);
        await reader.DisposeAsync();

        // What `ttc status --wait` polls (one SQL statement) says what the EF Core query says.
        var polled = await Platform.Cli.Reports.BatchProgress.Load(connection, batch.BatchId, CancellationToken.None);
        Assert.Equal(await Platform.Cli.Reports.BatchProgress.Load(db, batch.BatchId, CancellationToken.None), polled);
        Assert.Equal(new Platform.Cli.Reports.BatchProgress(BatchStatus.Completed, 20, 20, completed.Usage.GeneratedTokens), polled);
        Assert.Null(await Platform.Cli.Reports.BatchProgress.Load(connection, Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task Without_a_strategy_the_shipped_policy_routes_each_run_by_its_probes()
    {
        await using var hosts = await PlatformHosts.Start(servers); // the Router finds models/policy.json
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = HeldOut(8), N = 16, Seed = 5 };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var completed = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal((8, 0), (completed.Completed, completed.Failed));

        await using var db = hosts.NewContext();
        var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).ToListAsync();
        Assert.All(runs, r =>
        {
            Assert.Equal(("compute-optimal", 16, "predicted"), (r.Strategy, r.N, r.DifficultySource));
            Assert.InRange(r.DifficultyBin, 1, 5);
            Assert.Contains("\"policyJson\"", r.PlanJson);
        });

        // The probes are the first request of every run and their candidates stay in its pool: counted once.
        var probes = await db.RunRounds.Where(x => runs.Select(r => r.Id).Contains(x.RunId) && x.Kind == "probe").CountAsync();
        Assert.Equal(8, probes);
        var usage = await db.ComputeUsage.Where(u => u.BatchId == batch.BatchId).ToListAsync();
        Assert.Equal(usage.Count, usage.Select(u => u.RequestId).Distinct().Count());
        var sampled = await db.Candidates.Where(c => runs.Select(r => r.Id).Contains(c.RunId)).SumAsync(c => c.TokenCount);
        Assert.Equal(sampled, completed.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Every_request_delivered_again_leaves_one_candidate_set_one_result_and_one_usage_record()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = HeldOut(4), Strategy = "weighted-best-of-n", N = 4, Seed = 3 };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);

        int candidates, scores, usage;
        List<RunRound> rounds;
        await using (var db = hosts.NewContext())
        {
            var runIds = await db.Runs.Where(r => r.BatchId == batch.BatchId).Select(r => r.Id).ToListAsync();
            candidates = await db.Candidates.CountAsync(c => runIds.Contains(c.RunId));
            scores = await db.StepScores.CountAsync();
            usage = await db.ComputeUsage.CountAsync(u => u.BatchId == batch.BatchId);
            rounds = await db.RunRounds.Where(r => runIds.Contains(r.RunId)).ToListAsync();
        }

        var resultsBefore = hosts.Observed.RunsCompleted.Count(r => r.BatchId == batch.BatchId);
        Assert.Equal(4, resultsBefore);

        // Deliver every request again, as a redelivery after a crash would: the Generator and Verifier
        // answer again, the Aggregator finds the work committed and republishes each run's result.
        foreach (var round in rounds)
        {
            var queue = round.Kind == "score" ? QueueNames.ScoreCandidates : QueueNames.GenerateCandidates;
            if (round.Kind == "score")
            {
                await hosts.Send(JsonSerializer.Deserialize<ScoreCandidates>(round.RequestJson!, new JsonSerializerOptions(JsonSerializerDefaults.Web))!, queue);
            }
            else
            {
                await hosts.Send(JsonSerializer.Deserialize<GenerateCandidates>(round.RequestJson!, new JsonSerializerOptions(JsonSerializerDefaults.Web))!, queue);
            }
        }

        var deadline = DateTime.UtcNow + Timeout;
        while (hosts.Observed.RunsCompleted.Count(r => r.BatchId == batch.BatchId) < resultsBefore + rounds.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(resultsBefore + rounds.Count, hosts.Observed.RunsCompleted.Count(r => r.BatchId == batch.BatchId));
        await using (var db = hosts.NewContext())
        {
            var runIds = await db.Runs.Where(r => r.BatchId == batch.BatchId).Select(r => r.Id).ToListAsync();
            Assert.Equal(candidates, await db.Candidates.CountAsync(c => runIds.Contains(c.RunId)));
            Assert.Equal(scores, await db.StepScores.CountAsync());
            Assert.Equal(usage, await db.ComputeUsage.CountAsync(u => u.BatchId == batch.BatchId));
            Assert.Equal(4, await db.Runs.CountAsync(r => r.BatchId == batch.BatchId && r.Status == RunStatus.Completed));
            Assert.Equal(rounds.Count, await db.RunRounds.CountAsync(r => runIds.Contains(r.RunId)));
        }

        // The same results were republished, not new ones.
        var answers = hosts.Observed.RunsCompleted.Where(r => r.BatchId == batch.BatchId).GroupBy(r => r.RunId);
        Assert.All(answers, g => Assert.Single(g.Select(r => (r.Answer, r.Correct)).Distinct()));
    }

    [Fact]
    public async Task Bad_input_fails_only_its_own_runs_or_rejects_the_batch_with_the_field_named()
    {
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:MaxProblemTextBytes"] = "64" });
        var good = HeldOut(2);
        var batch = new SubmitBatch
        {
            BatchId = Guid.NewGuid(), Strategy = "greedy",
            Problems =
            [
                good[0],
                new ProblemSubmission { Text = "", ReferenceAnswer = "1" },
                new ProblemSubmission { Text = new string('9', 65), ReferenceAnswer = "1" },
                new ProblemSubmission { Text = "Natalia sold clips to 48 of her friends?", ReferenceAnswer = "72" },
                good[1],
            ],
        };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var done = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);
        Assert.Equal(2, done.Completed);
        Assert.Equal(3, done.Failed);
        await using (var db = hosts.NewContext())
        {
            var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).Include(r => r.Problem).OrderBy(r => r.Problem!.Index).ToListAsync();
            Assert.Contains("empty", runs[1].FailureReason);
            Assert.Contains("65 bytes", runs[2].FailureReason);
            Assert.Contains("Router:MaxProblemTextBytes", runs[2].FailureReason);
            Assert.Contains("not in the model's vocabulary", runs[3].FailureReason);
            Assert.Equal(RunStatus.Completed, runs[0].Status);
            Assert.Equal(RunStatus.Completed, runs[4].Status);

            // Failed runs count as ended in the polled progress too.
            await using var connection = new NpgsqlConnection(hosts.ConnectionString);
            await connection.OpenAsync();
            var polled = await Platform.Cli.Reports.BatchProgress.Load(connection, batch.BatchId, CancellationToken.None);
            Assert.Equal(await Platform.Cli.Reports.BatchProgress.Load(db, batch.BatchId, CancellationToken.None), polled);
            Assert.Equal(5, polled!.Ended);
        }

        // Batch-level errors reject the whole batch and say which field.
        foreach (var (bad, field) in new (SubmitBatch, string)[]
        {
            (new SubmitBatch { BatchId = Guid.NewGuid(), Problems = good, N = 0 }, "N"),
            (new SubmitBatch { BatchId = Guid.NewGuid(), Problems = good, N = 1025 }, "N"),
            (new SubmitBatch { BatchId = Guid.NewGuid(), Problems = good, Strategy = "tree-of-thought" }, "Strategy"),
            (new SubmitBatch { BatchId = Guid.NewGuid(), Problems = [] }, "Problems"),
        })
        {
            await hosts.Send(bad, QueueNames.SubmitBatch);
            var rejected = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesRejected, b => b.BatchId == bad.BatchId, Timeout);
            Assert.Equal(field, rejected.Field);
            await using var db = hosts.NewContext();
            Assert.Equal(BatchStatus.Rejected, (await db.Batches.SingleAsync(b => b.Id == bad.BatchId)).Status);
        }

        // A model the catalog does not have rejects the batch at the door, naming the field and the catalog's models.
        var unknown = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = good, Strategy = "greedy", GeneratorModel = "no-such-model" };
        await hosts.Send(unknown, QueueNames.SubmitBatch);
        var refused = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesRejected, b => b.BatchId == unknown.BatchId, Timeout);
        Assert.Equal("GeneratorModel", refused.Field);
        Assert.Contains("unknown model 'no-such-model': the catalog has", refused.Reason);
        Assert.Contains("gen-small", refused.Reason);
    }

    /// <summary>Runs the built <c>ttc</c> as its own process against this test's servers; its exit code and standard output.</summary>
    private static async Task<(int Code, string Output, string Errors)> Ttc(IReadOnlyDictionary<string, string?> settings, params string[] args)
    {
        var dll = Repository.Path("tools/Platform.Cli/bin/Release/net10.0/ttc.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (scripts/test.sh does)");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    [Fact]
    public async Task Ttc_submit_with_wait_sends_the_batch_watches_it_to_its_end_and_writes_its_report()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var settings = servers.HostSettings(hosts.ConnectionString);
        var json = Path.Combine(Path.GetTempPath(), $"ttc-submit-{Guid.NewGuid():N}.json");
        try
        {
            // The generator named by its folder: the catalog's name for it (a folder under Models:Directory) is sent.
            var (code, output, errors) = await Ttc(settings, "submit", Repository.Path("data/arith/heldout.jsonl"), "--limit", "6", "--strategy", "weighted-best-of-n",
                "--n", "4", "--seed", "3", "--generator", Repository.Path("models/gen-small") + "/", "--wait", "--json", json);
            Assert.True(code == 0, errors);
            var id = Guid.Parse(output.Split('\n')[0].Trim());
            Assert.Contains($"batch {id}: completed, 6/6 runs ended", output);
            Assert.DoesNotContain("not in the database", errors); // quiet while the Router stores the batch just sent

            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            Assert.Equal(6, report.RootElement.GetProperty("problems").GetInt32());
            await using var db = hosts.NewContext();
            var batch = await db.Batches.SingleAsync(b => b.Id == id);
            Assert.Equal(BatchStatus.Completed, batch.Status);
            Assert.Equal(await db.ComputeUsage.Where(u => u.BatchId == id).SumAsync(u => u.GeneratedTokens), report.RootElement.GetProperty("generated_tokens").GetInt64());
            Assert.Equal((batch.CompletedAt!.Value - batch.SubmittedAt).TotalSeconds, report.RootElement.GetProperty("wall_seconds").GetDouble(), 3);
            Assert.All(await db.Runs.Where(r => r.BatchId == id).ToListAsync(), r => Assert.Contains("\"generatorModel\":\"gen-small\"", r.PlanJson));
        }
        finally
        {
            File.Delete(json);
        }

        // A folder no catalog entry names: refused before anything is sent, naming the option and the setting.
        var stray = Directory.CreateTempSubdirectory("ttc-stray-model").FullName;
        try
        {
            var strayRun = await Ttc(settings, "submit", Repository.Path("data/arith/heldout.jsonl"), "--limit", "2", "--generator", stray);
            Assert.Equal(2, strayRun.Code);
            Assert.Contains($"--generator {stray}: the services load models from their catalog", strayRun.Errors);
            Assert.Contains($"Models__Catalog__NAME={stray}", strayRun.Errors);
        }
        finally
        {
            Directory.Delete(stray);
        }

        // A database it cannot reach: refused before anything is sent, so no batch is left submitted and unwatched.
        var unreachable = new Dictionary<string, string?>(settings) { ["ConnectionStrings:Platform"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=none;Timeout=2" };
        var refused = await Ttc(unreachable, "submit", Repository.Path("data/arith/heldout.jsonl"), "--limit", "2", "--wait");
        Assert.Equal(2, refused.Code);
        Assert.Contains("cannot watch the batch", refused.Errors);
        await Task.Delay(1500);
        await using var check = hosts.NewContext();
        Assert.Equal(1, await check.Batches.CountAsync());
    }
}
