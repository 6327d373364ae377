using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Aggregator.Extensions;
using Platform.Generator.Extensions;
using Platform.Hosting;
using Platform.Router.Extensions;
using Platform.Verifier.Extensions;

namespace Platform.Cli.Embedded;

/// <summary>
/// All four services' consumers in one process: MassTransit's in-memory transport and a SQLite file.
/// The same consumers, definitions and database model as the distributed services.
/// </summary>
public static class EmbeddedPlatform
{
    public static IHost Build(string databasePath, IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "InMemory",
            ["Messaging:PrefetchCount"] = "64",
            ["Storage:Provider"] = "Sqlite",
            ["Storage:MigrateOnStart"] = "true",
            ["ConnectionStrings:Platform"] = $"Data Source={databasePath};Default Timeout=120",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddEnvironmentVariables();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);

        builder.AddRouterComponents();
        builder.AddAggregatorComponents();
        builder.AddGeneratorComponents();
        builder.AddVerifierComponents();
        builder.AddPlatformMessaging("embedded",
        [
            typeof(RouterServiceExtensions).Assembly, typeof(AggregatorServiceExtensions).Assembly,
            typeof(GeneratorServiceExtensions).Assembly, typeof(VerifierServiceExtensions).Assembly,
        ]);
        return builder.Build();
    }

    public static async Task Submit(IHost host, Platform.Contracts.SubmitBatch batch, CancellationToken ct)
    {
        var send = host.Services.GetRequiredService<ISendEndpointProvider>();
        var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.SubmitBatch));
        await endpoint.Send(batch, ct);
    }
}
