using System.CommandLine;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Hosting;

namespace Platform.Cli.Commands;

/// <summary><c>ttc submit FILE</c>: send a batch to the distributed platform over RabbitMQ and print its id.</summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        var input = new BatchInput();
        var command = new Command("submit", "Send a batch to the Router over RabbitMQ (Messaging__RabbitMq__Host, __Port, __Username, __Password)");
        input.AddTo(command);
        var wait = new Option<bool>("--wait") { Description = "Then watch the batch until it ends and print its results, as ttc status --wait (needs --connection or ConnectionStrings__Platform)" };
        var connection = new Option<string?>("--connection") { Description = "With --wait: PostgreSQL connection string; default: ConnectionStrings__Platform" };
        var json = new Option<FileInfo?>("--json") { Description = "With --wait: write the batch's report as JSON" };
        command.Options.Add(wait);
        command.Options.Add(connection);
        command.Options.Add(json);
        command.SetAction(async (parse, ct) =>
        {
            if (input.Read(parse) is not { } batch)
            {
                return 2;
            }

            var batchId = batch.BatchId;

            batch = ModelFolders.ForServices(batch, new ConfigurationBuilder().AddEnvironmentVariables().Build(), out var folderError);
            if (folderError is not null)
            {
                Console.Error.WriteLine($"error: {folderError}");
                return 2;
            }

            // Watching: the database is checked before anything is sent, so a batch is never left submitted and unwatched.
            BatchWatch? watch = null;
            if (parse.GetValue(wait))
            {
                watch = BatchWatch.From(parse.GetValue(connection));
                if (watch is null)
                {
                    return 2;
                }

                if (await watch.Check(ct) is { } error)
                {
                    Console.Error.WriteLine($"error: cannot watch the batch, PostgreSQL: {error}");
                    return 2;
                }
            }

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddEnvironmentVariables();
            builder.AddPlatformMessaging("cli", []);
            using var host = builder.Build();
            try
            {
                await host.StartAsync(ct);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            // Submitted when sent: the client's own start (its connection to the broker) is not the batch's time.
            await BatchParts.Send(host.Services.GetRequiredService<ISendEndpointProvider>(), batch with { SubmittedAt = DateTimeOffset.UtcNow }, ct);

            await host.StopAsync(CancellationToken.None);
            Console.WriteLine(batchId);
            if (watch is null)
            {
                return 0;
            }

            await watch.Wait(batchId, quietWhileUnknown: true, ct);
            return await watch.Report(batchId, parse.GetValue(json), ct);
        });
        return command;
    }
}
