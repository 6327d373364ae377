using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// The Router's admission scheduler against RabbitMQ and PostgreSQL: runs in flight stay within the limit
/// and a batch alone fills it; a small batch from a second key completes while a large one is still
/// running; a Router restart loses no waiting or admitted run.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class FairAdmissionTests(Servers servers)
{
    private static object Arithmetic(int count, string name, string? priority = null) => new
    {
        name, strategy = "greedy", priority,
        problems = Enumerable.Range(0, count).Select(i => new { text = $"{i % 900 + 100}+{i % 89 + 10}", referenceAnswer = $"{i % 900 + 100 + i % 89 + 10}" }).ToList(),
    };

    private static async Task<Guid> Submit(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/batches", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
    }

    private static async Task<int> InFlight(PlatformHosts hosts, Guid id)
    {
        await using var db = hosts.NewContext();
        return await db.Runs.Where(RunQueue.InFlight).CountAsync(r => r.BatchId == id);
    }

    [Fact]
    public async Task A_small_batch_from_another_key_completes_while_a_large_one_runs_and_runs_in_flight_stay_within_the_limit()
    {
        const int limit = 32, large = 5000, small = 10;
        await using var hosts = await PlatformHosts.Start(servers, new()
        {
            ["Router:Admission:MaxRunsInFlight"] = $"{limit}",
            ["Router:Admission:Submitters:ui:MaxPriority"] = "interactive",
        });
        var bulk = await hosts.ClientFor("bulk");
        var ui = await hosts.ClientFor("ui");

        // A key may not ask for more than its class: named field, nothing accepted.
        var refused = await bulk.PostAsJsonAsync("/batches", Arithmetic(3, "too-high", "interactive"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("'bulk' may submit at priority batch at most", (await refused.Content.ReadAsStringAsync()));
        Assert.Contains("\"priority\"", await refused.Content.ReadAsStringAsync());

        var largeId = await Submit(bulk, Arithmetic(large, "large"));

        // Alone, the large batch fills the limit and never exceeds it.
        var most = 0;
        for (var i = 0; i < 400 && most < limit; i++)
        {
            most = Math.Max(most, await InFlight(hosts, largeId));
            Assert.True(most <= limit, $"{most} runs in flight; the limit is {limit}");
            await Task.Delay(50);
        }

        Assert.Equal(limit, most);
        var before = await hosts.BatchWhen(largeId, b => b.RunsEnded >= 100);

        // The small batch, from another key at a higher class, completes while the large one is still running.
        var smallId = await Submit(ui, Arithmetic(small, "small", "interactive"));
        var done = await hosts.BatchEnded(smallId);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(small, done.RunsEnded);
        Assert.Equal(("ui", "interactive"), (done.Submitter, done.Priority));
        await using (var db = hosts.NewContext())
        {
            var largeNow = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == largeId);
            Assert.Equal(BatchStatus.Accepted, largeNow.Status);
            Assert.True(largeNow.RunsEnded < large, $"the large batch ended first ({largeNow.RunsEnded} runs)");
            Assert.True(largeNow.RunsEnded - before.RunsEnded < large / 2, "the small batch waited for half the large one");
            Assert.Equal(("bulk", "batch"), (largeNow.Submitter, largeNow.Priority));
        }

        var progress = (await bulk.GetFromJsonAsync<JsonObject>($"/batches/{largeId}"))!;
        Assert.True(progress["waiting"]!.GetValue<int>() > 0);
        Assert.Equal("bulk", progress["submitter"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await bulk.DeleteAsync($"/batches/{largeId}")).StatusCode);
    }

    [Fact]
    public async Task A_router_restart_loses_no_waiting_or_admitted_run()
    {
        const int count = 600;
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:Admission:MaxRunsInFlight"] = "16" });
        var id = await Submit(hosts.Http, Arithmetic(count, "restarted"));
        await hosts.BatchWhen(id, b => b.RunsEnded >= 50);

        await hosts.RestartRouter();

        var batch = await hosts.BatchEnded(id);
        Assert.Equal(BatchStatus.Completed, batch.Status);
        Assert.Equal(count, batch.RunsEnded);
        await using var db = hosts.NewContext();
        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == id).Select(r => new { r.Status, r.AdmittedAt }).ToListAsync();
        Assert.Equal(count, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Status));
        Assert.All(runs, r => Assert.NotNull(r.AdmittedAt));
        Assert.Equal(count, await db.RunRounds.CountAsync(x => x.Index == 0 && db.Runs.Any(r => r.Id == x.RunId && r.BatchId == id)));
    }
}
