using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;
using Platform.Storage.Queries;

namespace Platform.IntegrationTests;

/// <summary>
/// The chaos suite's SIGKILL case in CI (benchmarks/chaos.sh runs every fault at full size): the
/// Aggregator, as its own process, is killed with SIGKILL while a batch is half done and started
/// again; the batch still ends with every problem answered once, no candidate stored twice and no
/// compute counted twice. (The duplicate-message case is PipelineTests' redelivery test.)
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class ChaosTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_SIGKILL_of_the_Aggregator_mid_batch_loses_nothing_and_counts_nothing_twice()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        await hosts.StopAggregator(); // this test's Aggregator is a process of its own, to be killed
        var settings = servers.HostSettings(hosts.ConnectionString);
        // Small reply batches: a weighted best-of-N run ends with its first (scored) reply, and with the default of 32
        // replies a transaction the whole batch can end between two looks.
        settings["Aggregator:ReplyBatchSize"] = "4";
        var aggregator = ServiceProcess.Start("Aggregator", settings);
        try
        {
            await aggregator.WaitReady(TimeSpan.FromSeconds(90));
            var batch = new SubmitBatch { BatchId = Guid.NewGuid(), Problems = PipelineTests.HeldOut(60), Strategy = "weighted-best-of-n", N = 8, Seed = 17 };
            await hosts.Send(batch, QueueNames.SubmitBatch);

            var deadline = DateTime.UtcNow + Timeout;
            var finished = 0;
            while (finished < 5 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                await using var db = hosts.NewContext();
                finished = await db.Runs.CountAsync(r => r.BatchId == batch.BatchId && r.Status == RunStatus.Completed);
            }

            await aggregator.Kill();
            Assert.InRange(finished, 5, 59); // killed mid-batch, or the test proves nothing

            await using (var db = hosts.NewContext())
            {
                Assert.True(await db.Runs.CountAsync(r => r.BatchId == batch.BatchId && r.Status != RunStatus.Completed) > 0, "the batch had finished before the kill");
            }

            aggregator = ServiceProcess.Start("Aggregator", settings);
            await aggregator.WaitReady(TimeSpan.FromSeconds(90));
            await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == batch.BatchId, Timeout);

            await using (var db = hosts.NewContext())
            {
                var audit = await BatchAudit.Load(db, batch.BatchId, CancellationToken.None);
                Assert.True(audit.Whole, System.Text.Json.JsonSerializer.Serialize(audit));
                Assert.Equal(60, audit.Completed);
                Assert.True(audit.UsageRows > 60, "every run's requests were counted");
            }
        }
        finally
        {
            await aggregator.DisposeAsync();
        }
    }
}
