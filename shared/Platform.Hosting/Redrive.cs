using System.Text;
using RabbitMQ.Client;

namespace Platform.Hosting;

/// <summary>A message redrive left in the error queue, and why.</summary>
public sealed record KeptMessage(string? MessageId, string ExceptionType, string Fault, int Redrives, string Why);

/// <summary>What one redrive did: messages sent back to the queue, and those kept in its error queue.</summary>
public sealed record RedriveReport(int Moved, IReadOnlyList<KeptMessage> Kept);

/// <summary>
/// Sends the messages of a queue's <c>_error</c> queue back to the queue (for faults fixed since:
/// a model put back, an outage longer than the retries). Each message is republished to the queue's
/// exchange without MassTransit's fault headers, then acknowledged: none is lost, none sent twice
/// (a crash between the two at worst redelivers one, which the consumers' idempotency absorbs).
/// A message that cannot succeed however often it is sent — its fault is in the message itself (it
/// does not parse, a field is invalid, storage refuses a value), or it has been sent back
/// <c>maxRedrives</c> times already — is not cycled: it stays in the error queue and is reported with
/// its fault, unless <c>force</c>.
/// </summary>
public static class Redrive
{
    /// <summary>Counts how often a message was sent back (a header of ours, kept across faults).</summary>
    public const string CountHeader = "ttc-redrives";

    /// <summary>Exceptions that the same message raises again whatever the time: a fault of the message, not of the moment.</summary>
    private static readonly string[] Deterministic =
    [
        "System.Text.Json.JsonException", "MassTransit.SerializationException", "System.FormatException", "System.ArgumentException",
        "System.ArgumentNullException", "System.ArgumentOutOfRangeException", "System.NullReferenceException", "System.IO.InvalidDataException",
        "System.Collections.Generic.KeyNotFoundException", "System.InvalidCastException", "System.OverflowException",
    ];

    public static async Task<RedriveReport> Run(MessagingOptions options, string queue, int max, CancellationToken ct, int maxRedrives = 2, bool force = false)
    {
        await using var connection = await RabbitMqConnection.Open(options.RabbitMq, ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var error = $"{queue}_error";
        var waiting = (await channel.QueueDeclarePassiveAsync(error, ct)).MessageCount; // each message once, kept ones included
        var moved = 0;
        var kept = new List<KeptMessage>();
        for (var seen = 0; seen < waiting && moved < max; seen++)
        {
            var message = await channel.BasicGetAsync(error, autoAck: false, ct);
            if (message is null)
            {
                break;
            }

            var properties = new BasicProperties(message.BasicProperties);
            var headers = properties.Headers ??= new Dictionary<string, object?>();
            var redrives = headers.TryGetValue(CountHeader, out var count) && count is not null && int.TryParse(Text(count), out var n) ? n : 0;
            var type = Header(headers, "MT-Fault-ExceptionType") ?? "";
            var fault = Header(headers, "MT-Fault-Message") ?? Header(headers, "MT-Reason") ?? "";
            var why = force ? null : WhyNot(type, fault, redrives, maxRedrives);
            if (why is not null)
            {
                // Kept: to the error queue's tail as it was, so the next message is read and this one is not lost.
                await channel.BasicPublishAsync("", error, true, new BasicProperties(message.BasicProperties), message.Body, ct);
                await channel.BasicAckAsync(message.DeliveryTag, false, ct);
                kept.Add(new KeptMessage(properties.MessageId, type, fault, redrives, why));
                continue;
            }

            foreach (var key in headers.Keys.Where(k => k.StartsWith("MT-Fault", StringComparison.Ordinal) || k == "MT-Reason").ToList())
            {
                headers.Remove(key);
            }

            headers[CountHeader] = (redrives + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await channel.BasicPublishAsync(queue, "", true, properties, message.Body, ct);
            await channel.BasicAckAsync(message.DeliveryTag, false, ct);
            moved++;
        }

        return new RedriveReport(moved, kept);
    }

    /// <summary>Why sending the message back would only fail again; null when it may succeed.</summary>
    public static string? WhyNot(string exceptionType, string fault, int redrives, int maxRedrives)
    {
        if (Deterministic.Contains(exceptionType))
        {
            return $"its fault is in the message itself ({exceptionType}): sent again it fails again; fix the sender, or --force once the consumer is fixed";
        }

        // PostgreSQL's data exceptions (class 22) and integrity violations (class 23) come from the values the message carries.
        if (exceptionType.EndsWith("PostgresException", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(fault, @"^2[23][0-9A-Z]{3}:"))
        {
            return $"PostgreSQL refuses a value the message carries ({fault.Split(':')[0]}): sent again it fails again";
        }

        return redrives >= maxRedrives
            ? $"sent back {redrives} times already and failed each time; find the cause in the fault, or --max-redrives / --force"
            : null;
    }

    private static string? Header(IDictionary<string, object?> headers, string name) => headers.TryGetValue(name, out var value) ? Text(value) : null;

    private static string? Text(object? value) => value switch
    {
        null => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        _ => value.ToString(),
    };
}
