namespace Platform.Hosting;

public enum MessagingTransport
{
    RabbitMq,
    InMemory,
}

/// <summary>Bound from the <c>Messaging</c> section. Hosts, ports and credentials come only from configuration.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    public MessagingTransport Transport { get; set; } = MessagingTransport.RabbitMq;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>Messages each receive endpoint may hold unacknowledged; also bounds concurrent consumers.</summary>
    public int PrefetchCount { get; set; } = 16;
}

public sealed class RabbitMqOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string? Username { get; set; }
    public string? Password { get; set; }
}
