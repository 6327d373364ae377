using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// Poison on the bus, against RabbitMQ and PostgreSQL: a missing problem fails alone, a batch without a
/// problem list is rejected, and a SubmitBatch that failed after its retries still ends its batch with
/// every problem accounted for.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class PoisonInputTests(Servers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static ProblemSubmission Sum(int i) => new() { Text = $"{i + 10}+{i + 20}", ReferenceAnswer = $"{2 * i + 30}" };

    [Fact]
    public async Task A_missing_problem_fails_alone_and_a_batch_without_a_problem_list_is_rejected()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var holes = new SubmitBatch { BatchId = Guid.NewGuid(), Strategy = "greedy", Problems = [Sum(1), null!, Sum(2)] };
        await hosts.Send(holes, QueueNames.SubmitBatch);
        var nothing = new SubmitBatch { BatchId = Guid.NewGuid(), Strategy = "greedy", Problems = null! };
        await hosts.Send(nothing, QueueNames.SubmitBatch);

        Assert.Equal(BatchStatus.Completed, (await hosts.BatchEnded(holes.BatchId, Timeout)).Status);
        await using var db = hosts.NewContext();
        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == holes.BatchId).OrderBy(r => r.Problem!.Index).ToListAsync();
        Assert.Equal([RunStatus.Completed, RunStatus.Failed, RunStatus.Completed], runs.Select(r => r.Status));
        Assert.Equal("Problem: missing (null in the problem list)", runs[1].FailureReason);

        var rejected = await hosts.BatchEnded(nothing.BatchId, Timeout);
        Assert.Equal(BatchStatus.Rejected, rejected.Status);
        Assert.Equal("Problems: the batch has no problems", rejected.RejectionReason);
    }

    [Fact]
    public async Task A_submission_that_failed_after_its_retries_still_ends_its_batch_with_every_problem_accounted_for()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var bus = hosts.Router.Services.GetRequiredService<IBus>();

        // A batch in two parts: the first is planned and runs; the second's message failed for good (as MassTransit reports it).
        var id = Guid.NewGuid();
        var first = new SubmitBatch { BatchId = id, Strategy = "greedy", Problems = [Sum(1), Sum(2)], TotalProblems = 5 };
        var second = first with { Problems = [Sum(3), Sum(4), Sum(5)], Offset = 2 };
        await hosts.Send(first, QueueNames.SubmitBatch);
        await Stored(hosts, id, 2);
        await Fault(bus, second, new Npgsql.NpgsqlException("Exception while reading from stream"));

        // A batch whose only message failed for good was never stored: it is stored as rejected with the fault.
        var never = new SubmitBatch { BatchId = Guid.NewGuid(), Strategy = "greedy", Problems = [Sum(6)] };
        await Fault(bus, never, new InvalidOperationException("a bug"));

        var batch = await hosts.BatchEnded(id, Timeout);
        Assert.Equal(BatchStatus.Completed, batch.Status);
        Assert.Equal(5, batch.RunsEnded);
        await using var db = hosts.NewContext();
        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == id).Include(r => r.Problem).OrderBy(r => r.Problem!.Index).ToListAsync();
        Assert.Equal([0, 1, 2, 3, 4], runs.Select(r => r.Problem!.Index));
        Assert.Equal([RunStatus.Completed, RunStatus.Completed, RunStatus.Failed, RunStatus.Failed, RunStatus.Failed], runs.Select(r => r.Status));
        Assert.All(runs.Skip(2), r => Assert.StartsWith("the Router could not plan problems 2..4 of the batch after its retries (Npgsql.NpgsqlException", r.FailureReason));
        Assert.Equal("13+23", runs[2].Problem!.Text);

        var rejected = await hosts.BatchEnded(never.BatchId, Timeout);
        Assert.Equal(BatchStatus.Rejected, rejected.Status);
        Assert.Contains("System.InvalidOperationException: a bug", rejected.RejectionReason);
    }

    [Fact]
    public async Task A_batch_whose_last_part_never_arrives_ends_with_those_problems_failed_and_saying_why()
    {
        await using var hosts = await PlatformHosts.Start(servers, new() { ["Router:MissingPartsSeconds"] = "2", ["Router:MissingPartsCheckSeconds"] = "1" });
        var first = new SubmitBatch { BatchId = Guid.NewGuid(), Strategy = "greedy", Problems = [Sum(1), Sum(2)], TotalProblems = 5 };
        await hosts.Send(first, QueueNames.SubmitBatch); // parts two (problems 2..4) never come

        var batch = await hosts.BatchEnded(first.BatchId, Timeout);
        Assert.Equal(BatchStatus.Completed, batch.Status);
        Assert.Equal(5, batch.RunsEnded);
        await using var db = hosts.NewContext();
        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == first.BatchId).Include(r => r.Problem).OrderBy(r => r.Problem!.Index).ToListAsync();
        Assert.Equal([RunStatus.Completed, RunStatus.Completed, RunStatus.Failed, RunStatus.Failed, RunStatus.Failed], runs.Select(r => r.Status));
        Assert.All(runs.Skip(2), r => Assert.StartsWith("this problem's part of the batch never arrived: nothing was stored for 2 s", r.FailureReason));
        Assert.Contains("3 of 5 problems are missing", runs[4].FailureReason);
    }

    private static async Task Stored(PlatformHosts hosts, Guid id, int problems)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            await using (var db = hosts.NewContext())
            {
                if (await db.Problems.CountAsync(p => p.BatchId == id) >= problems)
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"batch {id}'s first part was not stored within {Timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>Publishes the fault MassTransit publishes when a consumer of <paramref name="message"/> has failed after its retries.</summary>
    private static Task Fault(IBus bus, SubmitBatch message, Exception exception) => bus.Publish<Fault<SubmitBatch>>(
        new MassTransit.Events.FaultEvent<SubmitBatch>(message, NewId.NextGuid(), MassTransit.Metadata.HostMetadataCache.Host, exception, ["urn:message:Platform.Contracts:SubmitBatch"]));
}
