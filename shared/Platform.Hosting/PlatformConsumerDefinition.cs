using MassTransit;

namespace Platform.Hosting;

/// <summary>
/// The definition every platform consumer shares: short in-memory retries for transient faults (a
/// lost race on a unique key, a dropped connection) before the message goes to its _error queue,
/// outgoing messages held in the in-memory outbox until the consumer has succeeded, and how many
/// messages it works on at once (workers want many, so their schedulers can batch them).
/// </summary>
public abstract class PlatformConsumerDefinition<T> : ConsumerDefinition<T>
    where T : class, IConsumer
{
    private readonly int _prefetch;
    private readonly int[] _retryMilliseconds;

    /// <param name="queue">Queue name for a command consumer; null lets the kebab-case formatter name it.</param>
    protected PlatformConsumerDefinition(string? queue, int concurrency, params int[] retryMilliseconds)
    {
        if (queue is not null)
        {
            EndpointName = queue;
        }

        ConcurrentMessageLimit = concurrency;
        _prefetch = concurrency;
        _retryMilliseconds = retryMilliseconds.Length > 0 ? retryMilliseconds : [100, 500, 1500, 4000];
    }

    /// <summary>
    /// Outgoing messages wait until the consumer has succeeded (the in-memory outbox). A consumer that
    /// commits and publishes in stages, and republishes idempotently on redelivery, turns this off so
    /// each stage's messages leave at once.
    /// </summary>
    protected virtual bool HoldMessagesUntilDone => true;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<T> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Intervals(_retryMilliseconds));
        if (HoldMessagesUntilDone)
        {
            endpointConfigurator.UseInMemoryOutbox(context);
        }
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = Math.Max(rabbit.PrefetchCount, _prefetch);
        }
    }
}
