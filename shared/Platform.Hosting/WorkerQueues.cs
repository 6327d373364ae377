using MassTransit;

namespace Platform.Hosting;

/// <summary>
/// Rounds go to the worker that holds their prefix (decision 0023). A Generator or Verifier on RabbitMQ
/// takes its command from the shared queue and from a queue of its own, <c>COMMAND-at-INSTANCE</c>; its
/// replies name that queue, and the Aggregator sends the run's next round there. A round waits in a
/// worker's queue at most <see cref="AffinityOptions.HoldSeconds"/> (the queue's message TTL): then the
/// broker dead-letters it to the shared queue's exchange, where any worker takes it. So a dead or
/// overloaded worker costs a cache miss, never a lost round. The queue of a worker gone for
/// <see cref="AffinityOptions.QueueExpirySeconds"/> is deleted by the broker.
/// </summary>
public sealed class WorkerQueues(string? command, string instance)
{
    /// <summary>This process's worker queue, or null where it has none (the in-memory bus, other services, affinity off).</summary>
    public string? Own { get; } = command is null ? null : $"{command}-at-{instance}";

    /// <summary>Whether <paramref name="name"/> is the queue of a worker taking <paramref name="command"/> (as this class names them).</summary>
    public static bool IsWorkerOf(string? name, string command) =>
        name is not null && name.Length == command.Length + 4 + InstanceLength && name.StartsWith(command + "-at-", StringComparison.Ordinal)
        && !name.AsSpan(command.Length + 4).ContainsAnyExcept("0123456789abcdef");

    /// <summary>Characters of an instance id: 12 hexadecimal digits.</summary>
    public const int InstanceLength = 12;

    /// <summary>A new instance id.</summary>
    public static string NewInstance() => Guid.NewGuid().ToString("N")[..InstanceLength];

    /// <summary>Where a request goes: its worker's queue (by its exchange, which the worker declared) when one is named, else the shared queue.</summary>
    public static Uri Address(string sharedQueue, string? worker) =>
        worker is { Length: > 0 } ? new Uri($"exchange:{worker}") : QueueNames.Address(sharedQueue);

    /// <summary>Declares this worker's queue on RabbitMQ and lets <paramref name="consumer"/> take from it as it does from the shared queue.</summary>
    internal void Configure(IRabbitMqBusFactoryConfigurator cfg, IBusRegistrationContext context, string sharedQueue, Type consumer, AffinityOptions affinity,
        bool quorum, int concurrency)
    {
        cfg.ReceiveEndpoint(Own!, e =>
        {
            e.ConfigureConsumeTopology = false; // only what is sent to this worker
            if (quorum)
            {
                e.SetQuorumQueue();
            }

            e.SetQueueArgument("x-message-ttl", affinity.HoldSeconds * 1000);
            e.SetQueueArgument("x-dead-letter-exchange", sharedQueue);
            e.SetQueueArgument("x-expires", affinity.QueueExpirySeconds * 1000);
            e.PrefetchCount = concurrency;
            e.ConcurrentMessageLimit = concurrency;
            e.ConfigureConsumer(context, consumer);
        });
    }
}

/// <summary>Bound from <c>Messaging:Affinity</c>: whether rounds are routed to the worker that served the run's last round, and how long they wait for it.</summary>
public sealed class AffinityOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long a round waits in its worker's queue before any worker may take it (the queue's message TTL).</summary>
    public int HoldSeconds { get; set; } = 10;

    /// <summary>How long a worker's queue outlives its worker (RabbitMQ's x-expires); a reply older than half of it is not routed by.</summary>
    public int QueueExpirySeconds { get; set; } = 600;
}
