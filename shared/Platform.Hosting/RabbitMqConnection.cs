using RabbitMQ.Client;

namespace Platform.Hosting;

/// <summary>
/// A plain RabbitMQ connection (not MassTransit's) for the tools that move raw messages: redrive and the
/// chaos commands. It tries the configured nodes in order, as the services do, so it works on a cluster
/// that has lost a node.
/// </summary>
public static class RabbitMqConnection
{
    public static Task<IConnection> Open(RabbitMqOptions rabbit, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            UserName = rabbit.Username!, Password = rabbit.Password!, VirtualHost = rabbit.VirtualHost,
        };
        var endpoints = rabbit.Endpoints().Select(e => new AmqpTcpEndpoint(e.Host, e.Port ?? rabbit.Port)).ToList();
        return factory.CreateConnectionAsync(endpoints, ct);
    }
}
