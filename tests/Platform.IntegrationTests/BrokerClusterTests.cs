using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;
using Platform.Storage.Queries;

namespace Platform.IntegrationTests;

/// <summary>
/// The broker-node chaos cases in CI (benchmarks/chaos.sh --rabbitmq-nodes 3 runs them at full size):
/// on a three-node RabbitMQ cluster with quorum queues, the node that leads the busiest queues is
/// stopped mid-batch and brought back, then another is killed with SIGKILL for good; each batch still
/// ends with every problem answered once, no candidate stored twice and no compute counted twice,
/// with no manual step — the services move to the nodes that are left.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class BrokerClusterTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task On_a_three_node_cluster_a_node_stopped_or_killed_mid_batch_loses_nothing()
    {
        await using var cluster = await BrokerCluster.Start(3);
        var settings = cluster.Settings;
        settings["Aggregator:ReplyBatchSize"] = "4"; // small reply batches: the batch is still running when the node goes
        await using var hosts = await PlatformHosts.Start(servers, settings);

        // The platform's queues are quorum queues replicated on all three nodes.
        var queues = await cluster.Queues();
        foreach (var name in new[] { QueueNames.SubmitBatch, QueueNames.GenerateCandidates, QueueNames.ScoreCandidates })
        {
            var queue = queues.Single(q => q.GetProperty("name").GetString() == name);
            Assert.Equal("quorum", queue.GetProperty("type").GetString());
            Assert.Equal(3, queue.GetProperty("members").GetArrayLength());
        }

        // A node stopped for a while and started again.
        await RunThrough(hosts, seed: 31, async () =>
        {
            var node = await cluster.Busiest();
            await cluster.Stop(node);
            await Task.Delay(TimeSpan.FromSeconds(15));
            await cluster.StartNode(node);
        });

        // A node killed for good: the batch ends on the two that are left.
        await RunThrough(hosts, seed: 32, async () => await cluster.Kill(await cluster.Busiest()));
    }

    private static async Task RunThrough(PlatformHosts hosts, int seed, Func<Task> fault)
    {
        var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(60), Strategy = "weighted-best-of-n", N = 8, Seed = seed };
        await hosts.Send(batch, QueueNames.SubmitBatch);
        var deadline = DateTime.UtcNow + Timeout;
        var finished = 0;
        while (finished < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            await using var db = hosts.NewContext();
            finished = await db.Runs.CountAsync(r => r.BatchId == batch.BatchId && r.Status == RunStatus.Completed);
        }

        await fault();
        Assert.InRange(finished, 5, 59); // the fault came mid-batch, or the test proves nothing

        var ended = await hosts.BatchWhen(batch.BatchId, b => b.Status == BatchStatus.Completed, Timeout);
        await using (var db = hosts.NewContext())
        {
            var audit = await BatchAudit.Load(db, ended.Id, CancellationToken.None);
            Assert.True(audit.Whole, System.Text.Json.JsonSerializer.Serialize(audit));
            Assert.Equal(60, audit.Completed);
        }
    }
}
