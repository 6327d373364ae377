using System.Globalization;

namespace Platform.Hosting;

public enum MessagingTransport
{
    RabbitMq,
    InMemory,
}

/// <summary>The kind of queue the platform's receive endpoints declare on RabbitMQ.</summary>
public enum RabbitQueueType
{
    /// <summary>RabbitMQ's classic queues: one broker, or a cluster whose queues may live on one node.</summary>
    Classic,

    /// <summary>Quorum queues (Raft-replicated over the cluster's nodes): a lost node loses no message.</summary>
    Quorum,
}

/// <summary>Bound from the <c>Messaging</c> section. Hosts, ports and credentials come only from configuration.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    public MessagingTransport Transport { get; set; } = MessagingTransport.RabbitMq;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>Messages each receive endpoint may hold unacknowledged; also bounds concurrent consumers.</summary>
    public int PrefetchCount { get; set; } = 16;

    /// <summary>Rounds routed to the worker that served the run's last round (RabbitMQ only; decision 0023).</summary>
    public AffinityOptions Affinity { get; set; } = new();
}

public sealed class RabbitMqOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>
    /// The other nodes of a cluster, as comma-separated <c>host:port</c> (port optional: <see cref="Port"/>).
    /// A service connects to the first node that answers, Host:Port first, and moves to another when its node is lost.
    /// </summary>
    public string? Nodes { get; set; }

    /// <summary>Classic (default) or Quorum: quorum queues keep every message when a cluster loses a node.</summary>
    public RabbitQueueType QueueType { get; set; } = RabbitQueueType.Classic;

    /// <summary>Every node to connect to, Host:Port first, each once; an entry that does not parse has a null port.</summary>
    public IReadOnlyList<(string Host, int? Port)> Endpoints()
    {
        var all = new List<(string Host, int? Port)> { (Host ?? "", Port) };
        foreach (var entry in (Nodes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.LastIndexOf(':');
            var node = colon < 0
                ? (entry, Port)
                : (entry[..colon], int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p : (int?)null);
            if (!all.Contains(node))
            {
                all.Add(node);
            }
        }

        return all;
    }

    /// <summary>Where the services connect, for logs: host:port of each node, the virtual host and the queue type.</summary>
    public string Describe() =>
        string.Join(",", Endpoints().Select(e => $"{e.Host}:{e.Port}")) + VirtualHost + $" ({QueueType.ToString().ToLowerInvariant()} queues)";
}
