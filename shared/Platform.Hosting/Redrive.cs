using RabbitMQ.Client;

namespace Platform.Hosting;

/// <summary>
/// Sends the messages of a queue's <c>_error</c> queue back to the queue (for faults fixed since:
/// a model put back, an outage longer than the retries). Each message is republished to the queue's
/// exchange without MassTransit's fault headers, then acknowledged: none is lost, none sent twice
/// (a crash between the two at worst redelivers one, which the consumers' idempotency absorbs).
/// </summary>
public static class Redrive
{
    public static async Task<int> Run(MessagingOptions options, string queue, int max, CancellationToken ct)
    {
        var rabbit = options.RabbitMq;
        var factory = new ConnectionFactory
        {
            HostName = rabbit.Host!, Port = rabbit.Port, UserName = rabbit.Username!, Password = rabbit.Password!, VirtualHost = rabbit.VirtualHost,
        };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var moved = 0;
        while (moved < max)
        {
            var message = await channel.BasicGetAsync($"{queue}_error", autoAck: false, ct);
            if (message is null)
            {
                break;
            }

            var properties = new BasicProperties(message.BasicProperties);
            if (properties.Headers is { } headers)
            {
                foreach (var key in headers.Keys.Where(k => k.StartsWith("MT-Fault", StringComparison.Ordinal) || k == "MT-Reason").ToList())
                {
                    headers.Remove(key);
                }
            }

            await channel.BasicPublishAsync(queue, "", true, properties, message.Body, ct);
            await channel.BasicAckAsync(message.DeliveryTag, false, ct);
            moved++;
        }

        return moved;
    }
}
