using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Policy;
using TtcCli = Platform.Cli.Commands.Cli;

namespace Platform.IntegrationTests;

/// <summary>
/// Policies as versioned rows in PostgreSQL: `ttc policy import | activate | show`, one version active,
/// and the Router follows the active version (recorded in every run's plan) over the policy file.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class PolicyStoreTests(Servers servers)
{
    [Fact]
    public async Task Imported_versions_stay_inactive_until_activated_and_the_router_follows_the_active_one()
    {
        // No policy file: without an active version compute-optimal is refused at the door.
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:PolicyFile"] = "/nonexistent/policy.json", ["Router:PolicyRefreshSeconds"] = "1" });
        var shipped = Repository.Path("models/policy.json");
        int Run(params string[] args) => TtcCli.Build().Parse([.. args, "--connection", hosts.ConnectionString]).Invoke();

        Assert.Equal(1, Run("policy", "show")); // nothing stored yet
        Assert.Equal(0, Run("policy", "import", shipped));
        Assert.Equal(0, Run("policy", "import", shipped));
        Assert.Equal(1, Run("policy", "activate", "7")); // no such version
        await using (var db = hosts.NewContext())
        {
            Assert.Equal([1, 2], await db.Policies.Select(p => p.Version).Distinct().OrderBy(v => v).ToListAsync());
            Assert.False(await db.Policies.AnyAsync(p => p.Active));
            var fitted = ComputeOptimalPolicy.Parse(await File.ReadAllTextAsync(shipped));
            Assert.Equal(fitted.Budgets.Count * DifficultyBins.Count, await db.Policies.CountAsync(p => p.Version == 2));
        }

        var refused = await hosts.Http.PostAsJsonAsync("/batches", new { strategy = "compute-optimal", n = 16, problems = new[] { new { text = "12+30" } } });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);

        Assert.Equal(0, Run("policy", "activate", "2"));
        Assert.Equal(0, Run("policy", "activate", "1"));
        Assert.Equal(0, Run("policy", "activate", "2")); // one active at a time, whichever was last
        Assert.Equal(0, Run("policy", "show", "2"));
        await using (var db = hosts.NewContext())
        {
            Assert.Equal([2], await db.Policies.Where(p => p.Active).Select(p => p.Version).Distinct().ToListAsync());
        }

        await Task.Delay(2500); // the Router re-reads the active version every Router:PolicyRefreshSeconds (1 s here), in the background

        // The stored version carries its measured costs and bin shares: a FLOPs budget per problem is split by it.
        var budgeted = await hosts.Http.PostAsJsonAsync("/batches", new { budget = new { amount = 3e9, unit = "flops", scope = "problem" }, problems = new[] { new { text = "12+30" } } });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, budgeted.StatusCode);
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Strategy = "compute-optimal", N = 16, Problems = PipelineTests.HeldOut(3), Seed = 2 };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var completed = await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, TimeSpan.FromMinutes(3));
        Assert.Equal(3, completed.Completed);
        await using (var db = hosts.NewContext())
        {
            foreach (var plan in await db.Runs.Where(r => r.BatchId == batch.BatchId).Select(r => r.PlanJson).ToListAsync())
            {
                using var json = JsonDocument.Parse(plan);
                var rule = JsonSerializer.Deserialize<PolicyFollowUp>(json.RootElement.GetProperty("policyJson").GetString()!, ComputeOptimalPolicy.Json)!;
                Assert.Equal((2, 16), (rule.Version, rule.Budget)); // the version is recorded with every run
            }
        }

        // The batch in a report straight from PostgreSQL.
        var report = Directory.CreateTempSubdirectory("ttc-report").FullName;
        try
        {
            Assert.Equal(0, Run("report", "--batch", batch.BatchId.ToString(), "--out", report));
            Assert.Contains("| compute-optimal | 16 | 3 |", await File.ReadAllTextAsync(Path.Combine(report, "report.md")));
            Assert.True(new FileInfo(Path.Combine(report, "accuracy-vs-flops.png")).Length > 1000);
        }
        finally
        {
            Directory.Delete(report, recursive: true);
        }
    }

    [Fact]
    public async Task A_sweep_records_its_cells_in_PostgreSQL()
    {
        await using var hosts = await PlatformHosts.Start(servers); // migrated: sweeps and sweep_cells exist
        var output = Directory.CreateTempSubdirectory("ttc-sweep").FullName;
        try
        {
            int Run(params string[] args) => TtcCli.Build().Parse([.. args, "--connection", hosts.ConnectionString]).Invoke();
            Assert.Equal(0, Run("sweep", "run", "--key", "pg-sweep", "--data", Repository.Path("data/arith/calibration.jsonl"), "--limit", "3", "--budgets", "2",
                "--strategies", "greedy,weighted-best-of-n", "--out", output));
            await using var db = hosts.NewContext();
            var sweep = await db.Sweeps.SingleAsync(s => s.Key == "pg-sweep");
            Assert.Equal("completed", sweep.Status);
            var cells = await db.SweepCells.Where(c => c.SweepId == sweep.Id).OrderBy(c => c.Name).ToListAsync();
            Assert.Equal(["greedy-1", "weighted-bon-2"], cells.Select(c => c.Name));
            Assert.All(cells, c => Assert.True(c.Status == "completed" && c.Problems == 3 && c.Flops > 0 && File.Exists(Path.Combine(output, c.Name + ".json"))));
            Assert.Equal(0, Run("sweep", "status", "pg-sweep"));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
