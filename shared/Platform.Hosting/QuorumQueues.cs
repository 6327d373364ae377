using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Platform.Hosting;

/// <summary>
/// With quorum queues, every service declares the command queues and binds them to their exchanges
/// before its bus starts, exactly as MassTransit's receive endpoints declare them (a durable fanout
/// exchange, a durable quorum queue). Commands are sent to the exchange (<see cref="QueueNames.Address"/>),
/// so a command sent before its consumer's service ever started still waits in its queue.
/// </summary>
public sealed class QuorumQueues(IOptions<MessagingOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var messaging = options.Value;
        if (messaging.Transport != MessagingTransport.RabbitMq || messaging.RabbitMq.QueueType != RabbitQueueType.Quorum)
        {
            return;
        }

        await using var connection = await RabbitMqConnection.Open(messaging.RabbitMq, cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        foreach (var queue in QueueNames.Commands)
        {
            await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
