using System.Reflection;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Hosting;

public static class MessagingRegistration
{
    /// <summary>
    /// A stateless worker service (the Generator, the Verifier): its components, then the bus with its command queue and
    /// consumer (<paramref name="worker"/>, found in <paramref name="consumers"/>) and telemetry under <paramref name="serviceName"/>.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformWorker(this IHostApplicationBuilder builder, string serviceName, WorkerQueue worker, Assembly consumers,
        Func<IHostApplicationBuilder, IHostApplicationBuilder> components)
    {
        components(builder);
        builder.AddPlatformMessaging(serviceName, [consumers], worker: worker);
        builder.AddPlatformTelemetry(serviceName);
        return builder;
    }

    /// <summary>
    /// The one messaging set-up of every service: transport from <c>Messaging:Transport</c>
    /// (RabbitMq or InMemory), broker address and credentials from configuration, kebab-case endpoint
    /// names, the consumers (and their definitions) found in <paramref name="consumerAssemblies"/>,
    /// the bus health check, and a log line once the host is ready. A worker names the command queue and
    /// consumer of <paramref name="worker"/>: on RabbitMQ it also takes that command from a queue of its own
    /// (<see cref="WorkerQueues"/>).
    /// </summary>
    public static IHostApplicationBuilder AddPlatformMessaging(
        this IHostApplicationBuilder builder,
        string serviceName,
        Assembly[] consumerAssemblies,
        Action<IBusRegistrationConfigurator>? configure = null,
        WorkerQueue? worker = null)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .BindConfiguration(MessagingOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();
        if (builder.Environment.IsProduction() && PlaceholderSecrets.Find(builder.Configuration) is { Count: > 0 } placeholders)
        {
            builder.Services.AddOptions<MessagingOptions>().Validate(_ => false,
                $"{string.Join(" and ", placeholders)} still hold(s) the placeholder password of .env.example: choose real credentials before starting in Production");
        }

        // The transport decides which registration runs, so it is read here; everything else is read
        // (validated) from IOptions when the bus is built.
        var transport = builder.Configuration.GetSection(MessagingOptions.Section).GetValue(nameof(MessagingOptions.Transport), MessagingTransport.RabbitMq);

        var affinity = builder.Configuration.GetSection(MessagingOptions.Section).GetSection(nameof(MessagingOptions.Affinity)).GetValue(nameof(AffinityOptions.Enabled), true);
        builder.Services.AddSingleton(new WorkerQueues(transport == MessagingTransport.RabbitMq && affinity ? worker?.SharedQueue : null, WorkerQueues.NewInstance()));
        builder.Services.AddHostedService<QuorumQueues>(); // before the bus: registered (so started) first
        builder.Services.AddMassTransit(x =>
        {
            // No call home: MassTransit's anonymous usage telemetry (an HTTP request the operator never configured) stays off.
            x.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
            x.SetKebabCaseEndpointNameFormatter();
            if (consumerAssemblies.Length > 0)
            {
                x.AddConsumers(consumerAssemblies);
            }

            configure?.Invoke(x);

            // On a cluster the platform's queues are quorum queues (their _error and _skipped queues follow:
            // MassTransit copies the queue arguments); the bus's own temporary reply queue stays classic.
            x.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit
                    && context.GetRequiredService<IOptions<MessagingOptions>>().Value.RabbitMq.QueueType == RabbitQueueType.Quorum)
                {
                    rabbit.SetQuorumQueue();
                }
            });

            if (transport == MessagingTransport.InMemory)
            {
                x.UsingInMemory((context, cfg) =>
                {
                    QueueNames.Quorum = false;
                    cfg.ConcurrentMessageLimit = context.GetRequiredService<IOptions<MessagingOptions>>().Value.PrefetchCount;
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                    var rabbit = options.RabbitMq;
                    QueueNames.Quorum = rabbit.QueueType == RabbitQueueType.Quorum;
                    cfg.Host(rabbit.Host!, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                    {
                        h.Username(rabbit.Username!);
                        h.Password(rabbit.Password!);
                        if (rabbit.Endpoints() is { Count: > 1 } nodes)
                        {
                            h.UseCluster(c =>
                            {
                                foreach (var (host, port) in nodes)
                                {
                                    c.Node($"{host}:{port}");
                                }
                            });
                        }
                    });
                    cfg.PrefetchCount = options.PrefetchCount;
                    cfg.ConfigureEndpoints(context);
                    if (worker is not null && context.GetRequiredService<WorkerQueues>().Own is not null)
                    {
                        // After ConfigureEndpoints, so the consumer stays on the shared queue as well.
                        context.GetRequiredService<WorkerQueues>().Configure(cfg, context, worker.SharedQueue, worker.Consumer, options.Affinity,
                            rabbit.QueueType == RabbitQueueType.Quorum, worker.Concurrency);
                    }
                });
            }
        });

        // Start-up waits for the broker connection, so a host that logs "ready" is really connected.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddHealthChecks();
        builder.Services.AddSingleton(new ServiceIdentity(serviceName));
        builder.Services.AddHostedService<ReadinessReporter>();
        return builder;
    }
}

/// <summary>The command a worker takes from a queue of its own as well (<see cref="WorkerQueues"/>): its shared queue, its consumer, how many at once.</summary>
public sealed record WorkerQueue(string SharedQueue, Type Consumer, int Concurrency);

/// <summary>The name a host reports itself under (logs, health).</summary>
public sealed record ServiceIdentity(string Name);
