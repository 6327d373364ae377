using System.CommandLine;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Storage;
using Platform.Storage.Entities;
using Platform.Storage.Queries;
using RabbitMQ.Client;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>ttc chaos</c>: the faults of the chaos suite (benchmarks/chaos.sh) that are messages — duplicates,
/// malformed and oversized bodies straight onto the queues — and the audit that decides whether a
/// batch came through whole. Broker and database from Messaging__RabbitMq__* and ConnectionStrings__Platform.
/// </summary>
public static class ChaosCommand
{
    private static readonly string[] Queues =
    [
        QueueNames.SubmitBatch, QueueNames.GenerateCandidates, QueueNames.ScoreCandidates, QueueNames.FailRun, "run-planned", "candidates-generated", "candidates-scored",
    ];

    public static Command Create()
    {
        var command = new Command("chaos", "Faults for the chaos suite and the audit of a batch");
        var batch = new Argument<Guid>("BATCH");

        var duplicate = new Command("duplicate", "Send every request of the batch's rounds again, and every RunPlanned");
        duplicate.Arguments.Add(batch);
        duplicate.SetAction(async (parse, ct) =>
        {
            await using var db = Db();
            using var host = await Bus(ct);
            var send = host.Services.GetRequiredService<ISendEndpointProvider>();
            var publish = host.Services.GetRequiredService<IPublishEndpoint>();
            var id = parse.GetValue(batch);
            var rounds = await db.RunRounds.AsNoTracking().Where(r => db.Runs.Any(x => x.Id == r.RunId && x.BatchId == id) && r.RequestJson != null).ToListAsync(ct);
            foreach (var round in rounds)
            {
                await Platform.Operations.Redrive.RoundRequests.Resend(send, round.Kind, round.RequestJson!);
            }

            var runs = await db.Runs.AsNoTracking().Include(r => r.Problem).Where(r => r.BatchId == id && r.PlanJson != "{}").ToListAsync(ct);
            foreach (var run in runs)
            {
                await publish.Publish(Platform.Operations.Redrive.PlannedRuns.Message(run, run.Problem!), ct);
            }

            await host.StopAsync(ct);
            Console.WriteLine($"sent again: {rounds.Count} requests, {runs.Count} RunPlanned");
            return 0;
        });

        var count = new Option<int>("--count") { DefaultValueFactory = _ => 20 };
        var malformed = new Command("malformed", "Publish bodies that are not messages to every queue: not JSON, JSON of the wrong shape, an envelope with nonsense");
        malformed.Options.Add(count);
        malformed.SetAction(async (parse, ct) =>
        {
            var n = await Raw(parse.GetValue(count), i => (i % 3) switch
            {
                0 => Encoding.UTF8.GetBytes("this is not json {"),
                1 => Encoding.UTF8.GetBytes("{\"runId\": \"not-a-guid\", \"samples\": 7}"),
                _ => Encoding.UTF8.GetBytes("{\"messageId\":\"" + Guid.NewGuid() + "\",\"messageType\":[\"urn:message:Platform.Contracts:GenerateCandidates\"],\"message\":{\"runId\":\"" + Guid.NewGuid() + "\",\"samplesPerPrefix\":-5,\"prefixes\":null}}"),
            }, ct);
            Console.WriteLine($"published {n} malformed bodies");
            return 0;
        });

        var oversized = new Command("oversized", "Publish 2 MB bodies to every queue");
        var oversizedCount = new Option<int>("--count") { DefaultValueFactory = _ => 2 };
        oversized.Options.Add(oversizedCount);
        oversized.SetAction(async (parse, ct) =>
        {
            var text = new string('9', 2 << 20);
            var n = await Raw(parse.GetValue(oversizedCount), _ => Encoding.UTF8.GetBytes("{\"messageId\":\"" + Guid.NewGuid() + "\",\"messageType\":[\"urn:message:Platform.Contracts:ScoreCandidates\"],\"message\":{\"problem\":\"" + text + "\"}}"), ct);
            Console.WriteLine($"published {n} oversized bodies");
            return 0;
        });

        var poison = new Command("poison", "Send SubmitBatch messages a careless sender could write (null problems, no problem list, NUL and lone surrogates, absurd numbers) and wait until every one has ended");
        var poisonCount = new Option<int>("--count") { DefaultValueFactory = _ => 12 };
        poison.Options.Add(poisonCount);
        poison.SetAction(async (parse, ct) =>
        {
            using var host = await Bus(ct);
            var send = await host.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(QueueNames.Address(QueueNames.SubmitBatch));
            var ids = new List<Guid>();
            for (var i = 0; i < parse.GetValue(poisonCount); i++)
            {
                var ok = new ProblemSubmission { Text = $"{i + 10}+{i + 20}", ReferenceAnswer = $"{2 * i + 30}" };
                var message = (i % 6) switch
                {
                    0 => new SubmitBatch { Problems = [ok, null!, ok] },
                    1 => new SubmitBatch { Problems = null! },
                    2 => new SubmitBatch { Problems = [ok, new ProblemSubmission { Text = "4\u00005" }], Name = "a\u0000b" },
                    3 => new SubmitBatch { Problems = [new ProblemSubmission { Text = "x\ud800y" }, ok] },
                    4 => new SubmitBatch { Problems = [ok], N = int.MinValue, Strategy = "best-of-n", Seed = int.MaxValue },
                    _ => new SubmitBatch { Problems = [ok, ok], TotalProblems = 5, Priority = "urgent" },
                };
                message = message with { BatchId = Guid.NewGuid(), Strategy = message.Strategy ?? "greedy", Name = message.Name ?? $"poison-{i}" };
                await send.Send(message, ct);
                ids.Add(message.BatchId);
            }

            await using var db = Db();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            Dictionary<string, int> ended;
            do
            {
                await Task.Delay(500, ct);
                ended = await db.Batches.AsNoTracking().Where(b => ids.Contains(b.Id) && b.Status != BatchStatus.Accepted).GroupBy(b => b.Status)
                    .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
            }
            while (ended.Values.Sum() < ids.Count && DateTime.UtcNow < deadline);

            Console.WriteLine($"poison: {ids.Count} SubmitBatch messages sent, {ended.Values.Sum()} ended ({string.Join(", ", ended.Select(e => $"{e.Value} {e.Key}"))})");
            return ended.Values.Sum() == ids.Count ? 0 : 1;
        });

        var audit = new Command("audit", "Did the batch come through whole? Results in = problems out, duplicates, lost runs, compute counted twice (JSON)");
        audit.Arguments.Add(batch);
        audit.SetAction(async (parse, ct) =>
        {
            await using var db = Db();
            var report = await BatchAudit.Load(db, parse.GetValue(batch), ct);
            Console.WriteLine(JsonSerializer.Serialize(report));
            return 0;
        });

        command.Subcommands.Add(duplicate);
        command.Subcommands.Add(malformed);
        command.Subcommands.Add(oversized);
        command.Subcommands.Add(poison);
        command.Subcommands.Add(audit);
        return command;
    }

    private static PlatformDbContext Db()
    {
        var cs = Environment.GetEnvironmentVariable("ConnectionStrings__Platform") ?? throw new InvalidOperationException("set ConnectionStrings__Platform");
        return new PlatformDbContext(PlatformDbContextOptions.Create(StorageProvider.Postgres, cs));
    }

    private static async Task<IHost> Bus(CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables();
        builder.AddPlatformMessaging("chaos", []);
        var host = builder.Build();
        await host.StartAsync(ct);
        return host;
    }

    /// <summary>Publishes raw bodies to each queue's exchange, as a misbehaving client could.</summary>
    private static async Task<int> Raw(int perQueue, Func<int, byte[]> body, CancellationToken ct)
    {
        var options = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(MessagingOptions.Section).Get<MessagingOptions>() ?? new MessagingOptions();
        await using var connection = await RabbitMqConnection.Open(options.RabbitMq, ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var sent = 0;
        foreach (var queue in Queues)
        {
            for (var i = 0; i < perQueue; i++)
            {
                var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString(), Persistent = true };
                await channel.BasicPublishAsync(queue, "", false, properties, body(i), ct);
                sent++;
            }
        }

        return sent;
    }
}
