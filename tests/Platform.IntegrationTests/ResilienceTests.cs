using MassTransit;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>Runs that lost their messages: sent back from an _error queue by redrive, or failed with the reason after a timeout.</summary>
[Collection(ServersCollection.Name)]
public sealed class ResilienceTests(Servers servers)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>A greedy run whose one request was sent at <paramref name="sentAt"/> and never answered.</summary>
    private static async Task<(Batch Batch, Run Run, GenerateCandidates Request)> PendingRun(PlatformDbContext db, DateTimeOffset sentAt)
    {
        var batch = new Batch { Id = Guid.NewGuid(), Status = BatchStatus.Accepted, ProblemCount = 1, SubmittedAt = sentAt };
        var problem = new Problem { Id = Guid.NewGuid(), BatchId = batch.Id, Index = 0, Text = "(37+48)*3-19", ReferenceAnswer = "236" };
        var plan = new StrategyPlan { Strategy = "greedy", N = 1, MaxNewTokens = 100, GeneratorModel = "gen-small", VerifierModel = "prm" };
        var run = new Run
        {
            Id = Guid.NewGuid(), BatchId = batch.Id, ProblemId = problem.Id, Strategy = "greedy", N = 1, Status = RunStatus.Running,
            PlanJson = JsonSerializer.Serialize(plan, Web), CreatedAt = sentAt, UpdatedAt = sentAt,
        };
        var controller = ControllerRegistry.Create(new StrategyPlan { Strategy = "greedy" });
        controller.Start();
        var request = new GenerateCandidates
        {
            RequestId = RequestIds.For(run.Id, 0, "generate"), RunId = run.Id, Round = 0, Kind = "generate", Model = "gen-small",
            Problem = problem.Text, Prefixes = [new GenerationPrefix()], SamplesPerPrefix = 1, Sampling = new SamplingSettings { MaxNewTokens = 100 },
        };
        db.AddRange(batch, problem, run, new RunRound
        {
            Id = Guid.NewGuid(), RunId = run.Id, Index = 0, Kind = "generate", RequestId = request.RequestId, Status = RoundStatus.Pending,
            RequestJson = JsonSerializer.Serialize(request, Web), CreatedAt = sentAt, StateJson = ControllerRegistry.Save(controller),
        });
        await db.SaveChangesAsync();
        return (batch, run, request);
    }

    private static async Task<Run> WaitEnded(PlatformHosts hosts, Guid runId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            await using var db = hosts.NewContext();
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            if (RunStatus.IsEnded(run.Status) || DateTime.UtcNow > deadline)
            {
                return run;
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_request_in_an_error_queue_is_sent_back_by_redrive_and_its_run_completes()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        (Batch Batch, Run Run, GenerateCandidates Request) pending;
        await using (var db = hosts.NewContext())
        {
            pending = await PendingRun(db, DateTimeOffset.UtcNow);
        }

        // The request sits in the Generator's _error queue, as after a fault that outlived its retries.
        await hosts.Send(pending.Request, $"{QueueNames.GenerateCandidates}_error");
        await Task.Delay(500);
        await using (var db = hosts.NewContext())
        {
            Assert.Equal(RunStatus.Running, (await db.Runs.SingleAsync(r => r.Id == pending.Run.Id)).Status);
        }

        var options = Options();
        Assert.Equal(1, (await Redrive.Run(options, QueueNames.GenerateCandidates, 100, default)).Moved);

        var run = await WaitEnded(hosts, pending.Run.Id);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(0, (await Redrive.Run(options, QueueNames.GenerateCandidates, 100, default)).Moved); // the error queue is empty now
        await using (var db = hosts.NewContext())
        {
            Assert.Equal(BatchStatus.Completed, (await db.Batches.SingleAsync(b => b.Id == pending.Batch.Id)).Status);
        }
    }

    [Fact]
    public async Task Redrive_keeps_and_explains_a_message_whose_fault_is_its_own_and_one_sent_back_too_often()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        (Batch Batch, Run Run, GenerateCandidates Request) first, second;
        await using (var db = hosts.NewContext())
        {
            first = await PendingRun(db, DateTimeOffset.UtcNow);
            second = await PendingRun(db, DateTimeOffset.UtcNow);
        }

        // In the error queue as MassTransit leaves them: one failed with a fault of the message itself, one already sent back twice.
        var send = hosts.Router.Services.GetRequiredService<ISendEndpointProvider>();
        var error = await send.GetSendEndpoint(QueueNames.Address($"{QueueNames.GenerateCandidates}_error"));
        await error.Send(first.Request, c =>
        {
            c.Headers.Set("MT-Fault-ExceptionType", "System.FormatException");
            c.Headers.Set("MT-Fault-Message", "The input string 'x' was not in a correct format.");
        });
        await error.Send(second.Request, c => c.Headers.Set(Redrive.CountHeader, "2"));
        await Task.Delay(500);

        var options = Options();
        var report = await Redrive.Run(options, QueueNames.GenerateCandidates, 100, default);
        Assert.Equal(0, report.Moved);
        Assert.Equal(2, report.Kept.Count);
        Assert.Contains(report.Kept, k => k.ExceptionType == "System.FormatException" && k.Why.Contains("its fault is in the message itself"));
        Assert.Contains(report.Kept, k => k.Redrives == 2 && k.Why.Contains("sent back 2 times already"));

        // Kept means kept: both are still there, and --force sends them back; both runs then complete.
        report = await Redrive.Run(options, QueueNames.GenerateCandidates, 100, default, force: true);
        Assert.Equal((2, 0), (report.Moved, report.Kept.Count));
        Assert.Equal(RunStatus.Completed, (await WaitEnded(hosts, first.Run.Id)).Status);
        Assert.Equal(RunStatus.Completed, (await WaitEnded(hosts, second.Run.Id)).Status);
    }

    private MessagingOptions Options() => servers.Messaging();

    [Fact]
    public async Task A_run_whose_request_never_gets_a_reply_fails_with_the_reason_after_the_timeout()
    {
        await using var hosts = await PlatformHosts.Start(servers, new Dictionary<string, string?>
        {
            ["Aggregator:StallSeconds"] = "1", ["Aggregator:RunTimeoutSeconds"] = "5", ["Aggregator:WatchdogIntervalSeconds"] = "1",
        });
        (Batch Batch, Run Run, GenerateCandidates Request) pending;
        await using (var db = hosts.NewContext())
        {
            pending = await PendingRun(db, DateTimeOffset.UtcNow.AddMinutes(-1));
        }

        var run = await WaitEnded(hosts, pending.Run.Id);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("no reply to request", run.FailureReason);
        Assert.Contains("Aggregator:RunTimeoutSeconds", run.FailureReason);
        await using var check = hosts.NewContext();
        Assert.Equal(BatchStatus.Completed, (await check.Batches.SingleAsync(b => b.Id == pending.Batch.Id)).Status);
    }
}
