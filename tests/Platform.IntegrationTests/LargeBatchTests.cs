using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>Records the largest message body each host receives from the broker.</summary>
public sealed class MessageSizes : IReceiveObserver
{
    private long _largest;
    private string _kind = "";

    public long Largest => Interlocked.Read(ref _largest);
    public string LargestKind => _kind;

    public Task PreReceive(ReceiveContext context)
    {
        var size = context.Body.GetBytes().LongLength;
        if (size > Interlocked.Read(ref _largest))
        {
            Interlocked.Exchange(ref _largest, size);
            _kind = context.InputAddress.AbsolutePath;
        }

        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;
}

/// <summary>A batch of 100,000 problems over HTTP: accepted, every problem gets a run, no broker message over 1 MB.</summary>
[Collection(ServersCollection.Name)]
public sealed class LargeBatchTests(Servers servers)
{
    [Fact]
    public async Task A_batch_of_100000_problems_is_accepted_planned_and_carried_in_messages_under_1_MB()
    {
        var sizes = new MessageSizes();
        await using var hosts = await PlatformHosts.Start(servers, configure: (_, builder) => builder.Services.AddReceiveObserver(_ => sizes));
        const int count = 100_000;
        var problems = Enumerable.Range(0, count).Select(i => new { text = $"{i % 900 + 100}+{i % 89 + 10}", referenceAnswer = $"{i % 900 + 100 + i % 89 + 10}" }).ToList();

        var clock = Stopwatch.StartNew();
        var response = await hosts.Http.PostAsJsonAsync("/batches", new { name = "large", strategy = "greedy", problems });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = clock.Elapsed;
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();

        TimeSpan? firstRun = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        int runs;
        while (true)
        {
            await using var db = hosts.NewContext();
            if (firstRun is null && await db.ComputeUsage.AnyAsync(u => u.BatchId == id))
            {
                firstRun = clock.Elapsed;
            }

            runs = await db.Runs.CountAsync(r => r.BatchId == id);
            if ((runs == count && firstRun is not null) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(250);
        }

        var planned = clock.Elapsed;
        Assert.Equal(count, runs);
        Console.WriteLine($"100,000 problems: 202 after {accepted.TotalSeconds:F1} s, first run answered after {firstRun?.TotalSeconds:F1} s, all planned after {planned.TotalSeconds:F1} s");

        // Stop the work, then check: every problem stored once with a run, and the largest message received.
        Assert.Equal(HttpStatusCode.OK, (await hosts.Http.DeleteAsync($"/batches/{id}")).StatusCode);
        await using (var db = hosts.NewContext())
        {
            Assert.Equal(count, await db.Problems.CountAsync(p => p.BatchId == id));
            Assert.Equal(count - 1, await db.Problems.Where(p => p.BatchId == id).MaxAsync(p => p.Index));
            Assert.Equal(BatchStatus.Cancelled, (await db.Batches.SingleAsync(b => b.Id == id)).Status);
        }

        Assert.True(sizes.Largest < 1 << 20, $"a message of {sizes.Largest:N0} bytes arrived on {sizes.LargestKind}");
        Assert.True(sizes.Largest > 100_000, "the parts of the batch were measured"); // the observer did see the SubmitBatch parts
    }
}
