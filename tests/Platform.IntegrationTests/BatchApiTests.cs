using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>The batch API over HTTP against the real Router, with the four services on RabbitMQ and PostgreSQL.</summary>
[Collection(ServersCollection.Name)]
public sealed class BatchApiTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Problems(int count, Func<int, string> item) => "[" + string.Join(",", Enumerable.Range(0, count).Select(item)) + "]";

    private static async Task<JsonObject> Problem(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<string> Status(PlatformHosts hosts, Guid id, string until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var db = hosts.NewContext();
            var status = await db.Batches.Where(b => b.Id == id).Select(b => b.Status).SingleOrDefaultAsync();
            if (status == until || DateTime.UtcNow > deadline)
            {
                return status ?? "missing";
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Strict_input_names_unknown_fields_suggests_aliases_and_fails_an_over_long_problem_alone()
    {
        await using var hosts = await PlatformHosts.Start(servers);

        // The CLI's field names inside the API layout: refused, with the right name suggested.
        var mixed = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"problems":[{"text":"2+3","answer":"5"}]}""")));
        var message = mixed["errors"]!["problems[0].answer"]![0]!.GetValue<string>();
        Assert.Contains("did you mean 'referenceAnswer'", message);

        var top = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"samples":4,"problems":[{"text":"2+3"}]}""")));
        Assert.Contains("did you mean 'n'", top["errors"]!["samples"]![0]!.GetValue<string>());

        // JSON that does not parse: a problem body with the position.
        var broken = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"problems":[{"text":"2+3",}]}""")));
        Assert.Contains("line 1", broken["errors"]!.AsObject().First().Value![0]!.GetValue<string>());

        // A text over the limit fails alone, as on the bus: the answer names the problem, the field and the limit; the rest runs.
        var huge = new string('1', 20_000);
        var tooLong = await hosts.Http.PostAsync("/batches", Body($$"""{"strategy":"greedy","problems":[{"text":"2+3"},{"text":"{{huge}}"}]}"""));
        Assert.Equal(HttpStatusCode.Accepted, tooLong.StatusCode);
        var accepted = (await tooLong.Content.ReadFromJsonAsync<JsonObject>())!;
        var failing = Assert.Single(accepted["failing"]!.AsArray())!;
        Assert.Equal((1, "problems[1].text"), (failing["index"]!.GetValue<int>(), failing["field"]!.GetValue<string>()));
        Assert.Contains("the limit is", failing["reason"]!.GetValue<string>());
        var longId = accepted["batchId"]!.GetValue<Guid>();
        Assert.Equal(BatchStatus.Completed, await Status(hosts, longId, BatchStatus.Completed, Timeout));
        await using (var db = hosts.NewContext())
        {
            var runs = await db.Runs.Where(r => r.BatchId == longId).OrderBy(r => r.Problem!.Index).ToListAsync();
            Assert.Equal([RunStatus.Completed, RunStatus.Failed], runs.Select(r => r.Status));
            Assert.Equal($"Text: {failing["reason"]!.GetValue<string>()}", runs[1].FailureReason);
        }

        // Every problem invalid: the whole batch is refused, nothing is stored.
        var empty = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"problems":[{"text":""},{"text":"  "}]}""")));
        Assert.NotNull(empty["errors"]!["problems"]);
        await using (var db = hosts.NewContext())
        {
            Assert.Equal(0, await db.Batches.CountAsync(b => b.Id != longId));
        }

        // The layouts the CLI reads are converted at the door: arithmetic, GSM8K and MATH-500 fields.
        var layouts = await hosts.Http.PostAsync("/batches", Body("""
            {"strategy":"greedy","problems":[
              {"problem":"2+3","answer":"5","level":1},
              {"question":"What is 4 times 2?","answer":"4*2=8\n#### 8"},
              {"problem":"5*5","answer":"25","subject":"arithmetic","unique_id":"t/1.json"}]}
            """));
        Assert.Equal(HttpStatusCode.Accepted, layouts.StatusCode);
        var id = (await layouts.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
        Assert.Equal(BatchStatus.Completed, await Status(hosts, id, BatchStatus.Completed, Timeout));
        await using (var db = hosts.NewContext())
        {
            var problems = await db.Problems.Where(p => p.BatchId == id).OrderBy(p => p.Index).ToListAsync();
            Assert.Equal(["5", "8", "25"], problems.Select(p => p.ReferenceAnswer));
            Assert.Equal("t/1.json", problems[2].ExternalId);
        }
    }

    [Fact]
    public async Task Unstorable_text_fails_its_problem_alone_naming_the_field_over_http_and_the_bus()
    {
        await using var hosts = await PlatformHosts.Start(servers);

        // Over HTTP, as on the bus: a problem with a NUL anywhere fails alone, and the answer names it and the field at once.
        var nul = await hosts.Http.PostAsync("/batches", Body("""{"strategy":"greedy","problems":[{"text":"2+3"},{"text":"4\u00005"},{"text":"2+3","referenceAnswer":"5\u0000"}]}"""));
        Assert.Equal(HttpStatusCode.Accepted, nul.StatusCode);
        var accepted = (await nul.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(["problems[1].text", "problems[2].referenceAnswer"], accepted["failing"]!.AsArray().Select(f => f!["field"]!.GetValue<string>()));
        Assert.Contains("NUL", accepted["failing"]![0]!["reason"]!.GetValue<string>());
        var nulId = accepted["batchId"]!.GetValue<Guid>();
        Assert.Equal(BatchStatus.Completed, await Status(hosts, nulId, BatchStatus.Completed, Timeout));
        await using (var db = hosts.NewContext())
        {
            var runs = await db.Runs.Where(r => r.BatchId == nulId).OrderBy(r => r.Problem!.Index).ToListAsync();
            Assert.Equal([RunStatus.Completed, RunStatus.Failed, RunStatus.Failed], runs.Select(r => r.Status));
            Assert.StartsWith("ReferenceAnswer: contains a NUL", runs[2].FailureReason);
        }

        // Batch-level fields are refused at the door (400), as on the bus (BatchRejected); nothing is stored.
        var name = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"name":"a\u0000b","problems":[{"text":"2+3"}]}""")));
        Assert.NotNull(name["errors"]!["name"]);
        var path = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"generatorModel":"../../../../etc","problems":[{"text":"2+3"}]}""")));
        Assert.Contains("not a path", path["errors"]!["generatorModel"]![0]!.GetValue<string>());
        var unknown = await Problem(await hosts.Http.PostAsync("/batches", Body("""{"verifierModel":"Qwen2.5-Math-PRM-7B","problems":[{"text":"2+3"}]}""")));
        Assert.Contains("unknown model 'Qwen2.5-Math-PRM-7B': the catalog has", unknown["errors"]!["verifierModel"]![0]!.GetValue<string>());
        await using (var db = hosts.NewContext())
        {
            Assert.Equal(0, await db.Batches.CountAsync(b => b.Id != nulId));
        }

        // On the bus: the bad problems fail alone with the field named, the ordinary one completes, the batch ends.
        var batch = new Contracts.SubmitBatch
        {
            BatchId = Guid.NewGuid(), Strategy = "greedy",
            Problems =
            [
                new Contracts.ProblemSubmission { Text = "4\u00005" },
                new Contracts.ProblemSubmission { Text = "12+30", ReferenceAnswer = "42", ExternalId = "x\u0000" },
                new Contracts.ProblemSubmission { Text = "12+30", ReferenceAnswer = "42" },
            ],
        };
        await hosts.Send(batch, Hosting.QueueNames.SubmitBatch);
        Assert.Equal(BatchStatus.Completed, await Status(hosts, batch.BatchId, BatchStatus.Completed, Timeout));
        await using (var db = hosts.NewContext())
        {
            var runs = await db.Runs.Where(r => r.BatchId == batch.BatchId).OrderBy(r => r.Problem!.Index).ToListAsync();
            Assert.Equal([RunStatus.Failed, RunStatus.Failed, RunStatus.Completed], runs.Select(r => r.Status));
            Assert.StartsWith("Text: contains a NUL", runs[0].FailureReason);
            Assert.StartsWith("ExternalId: contains a NUL", runs[1].FailureReason);
        }

        // A batch-level field on the bus: the batch is stored rejected with the reason, so its id answers (not 404).
        var named = new Contracts.SubmitBatch { BatchId = Guid.NewGuid(), Name = "a\u0000b", Problems = [new Contracts.ProblemSubmission { Text = "2+3" }] };
        await hosts.Send(named, Hosting.QueueNames.SubmitBatch);
        Assert.Equal(BatchStatus.Rejected, await Status(hosts, named.BatchId, BatchStatus.Rejected, Timeout));
        var shown = await hosts.Http.GetFromJsonAsync<JsonObject>($"/batches/{named.BatchId}");
        Assert.Equal(BatchStatus.Rejected, shown!["status"]!.GetValue<string>());
        Assert.StartsWith("Name: contains a NUL", shown["rejectionReason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Results_page_and_stream_listing_is_newest_first_and_a_small_batch_completes_on_time_beside_a_large_one()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var problems = PipelineTests.HeldOut(60);
        string Items(int from, int count) => Problems(count, i =>
            JsonSerializer.Serialize(new { text = problems[from + i].Text, referenceAnswer = problems[from + i].ReferenceAnswer, externalId = $"p{from + i}" }));

        // A large batch first, then a small one: the small one must not wait behind it.
        var large = await hosts.Http.PostAsync("/batches", Body($$"""{"name":"large","strategy":"self-consistency","n":8,"problems":{{Items(0, 50)}}}"""));
        var small = await hosts.Http.PostAsync("/batches", Body($$"""{"name":"small","strategy":"greedy","problems":{{Items(50, 7)}}}"""));
        var largeId = (await large.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
        var smallId = (await small.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
        Assert.Equal(BatchStatus.Completed, await Status(hosts, smallId, BatchStatus.Completed, Timeout));
        await using (var db = hosts.NewContext())
        {
            var batch = await db.Batches.SingleAsync(b => b.Id == smallId);
            var lastRun = await db.Runs.Where(r => r.BatchId == smallId).MaxAsync(r => r.CompletedAt);
            Assert.True(batch.CompletedAt - lastRun < TimeSpan.FromSeconds(2), $"completed {(batch.CompletedAt - lastRun)?.TotalSeconds:F1} s after its last run");
            Assert.Equal(7, batch.RunsEnded);
        }

        Assert.Equal(BatchStatus.Completed, await Status(hosts, largeId, BatchStatus.Completed, Timeout));

        // Pages of 7 cover every problem once, in order, with answer, grading, strategy and compute.
        var seen = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = (await hosts.Http.GetFromJsonAsync<JsonObject>($"/batches/{largeId}/results?limit=7{(cursor is null ? "" : $"&cursor={cursor}")}"))!;
            seen.AddRange(page["items"]!.AsArray()!.Select(x => x!));
            cursor = page["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Range(0, 50), seen.Select(r => r["problem_index"]!.GetValue<int>()));
        Assert.All(seen, r =>
        {
            Assert.Equal("completed", r["status"]!.GetValue<string>());
            Assert.Equal("self-consistency", r["strategy"]!.GetValue<string>());
            Assert.Equal(8, r["parameters"]!["n"]!.GetValue<int>());
            Assert.True(r["generated_tokens"]!.GetValue<long>() > 0 && r["flops"]!.GetValue<double>() > 0 && r["device_ms"]!.GetValue<double>() > 0);
            Assert.NotNull(r["correct"]);
            Assert.StartsWith("p", r["external_id"]!.GetValue<string>());
        });

        // The stream holds the same rows.
        var lines = (await hosts.Http.GetStringAsync($"/batches/{largeId}/results?format=jsonl")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(50, lines.Length);
        Assert.Equal(seen.Select(r => r["answer"]?.ToJsonString()), lines.Select(l => JsonNode.Parse(l)!["answer"]?.ToJsonString()));

        // Listing: newest first, filtered by status, paged.
        var list = (await hosts.Http.GetFromJsonAsync<JsonObject>("/batches?status=completed&limit=1"))!;
        Assert.Equal(smallId, list["items"]![0]!["id"]!.GetValue<Guid>());
        var next = (await hosts.Http.GetFromJsonAsync<JsonObject>($"/batches?status=completed&limit=1&cursor={list["next_cursor"]!.GetValue<string>()}"))!;
        Assert.Equal(largeId, next["items"]![0]!["id"]!.GetValue<Guid>());
        Assert.Empty((await hosts.Http.GetFromJsonAsync<JsonObject>("/batches?status=cancelled"))!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_cancelled_batch_dispatches_nothing_more_keeps_its_compute_and_ends_cancelled()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var problems = PipelineTests.HeldOut(40);
        var items = Problems(40, i => JsonSerializer.Serialize(new { text = problems[i].Text, referenceAnswer = problems[i].ReferenceAnswer }));
        var response = await hosts.Http.PostAsync("/batches", Body($$"""{"strategy":"beam-search","n":16,"problems":{{items}}}"""));
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();

        // Wait until work is under way, then cancel.
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var db = hosts.NewContext();
            if (await db.ComputeUsage.AnyAsync(u => u.BatchId == id))
            {
                break;
            }

            await Task.Delay(50);
        }

        var cancel = await hosts.Http.DeleteAsync($"/batches/{id}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(BatchStatus.Cancelled, await Status(hosts, id, BatchStatus.Cancelled, TimeSpan.FromSeconds(5)));

        // In-flight replies arrive and are dropped: after a quiet spell, no round is added and no run resumes.
        await Task.Delay(3000);
        await using (var db = hosts.NewContext())
        {
            var rounds = await db.RunRounds.CountAsync(r => db.Runs.Any(x => x.Id == r.RunId && x.BatchId == id));
            var usage = await db.ComputeUsage.CountAsync(u => u.BatchId == id);
            await Task.Delay(3000);
            Assert.Equal(rounds, await db.RunRounds.CountAsync(r => db.Runs.Any(x => x.Id == r.RunId && x.BatchId == id)));
            Assert.Equal(usage, await db.ComputeUsage.CountAsync(u => u.BatchId == id));
            var runs = await db.Runs.Where(r => r.BatchId == id).ToListAsync();
            Assert.Contains(runs, r => r.Status == RunStatus.Cancelled);
            Assert.DoesNotContain(runs, r => r.Status is RunStatus.Planned or RunStatus.Running);
            var batch = await db.Batches.SingleAsync(b => b.Id == id);
            Assert.Equal(40, batch.RunsEnded);
            Assert.Equal(BatchStatus.Cancelled, batch.Status);

            // The compute already spent is kept, in the runs' totals as in the per-request rows.
            Assert.True(usage > 0);
            Assert.Equal(await db.ComputeUsage.Where(u => u.BatchId == id).SumAsync(u => u.GeneratedTokens), runs.Sum(r => r.GeneratedTokens));
        }

        Assert.Equal(HttpStatusCode.OK, (await hosts.Http.DeleteAsync($"/batches/{id}")).StatusCode); // again: still cancelled
        Assert.Equal(HttpStatusCode.NotFound, (await hosts.Http.DeleteAsync($"/batches/{Guid.NewGuid()}")).StatusCode);
    }
}
