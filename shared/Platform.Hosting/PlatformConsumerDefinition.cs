using MassTransit;

namespace Platform.Hosting;

/// <summary>
/// The definition every platform consumer shares: infrastructure faults (database or broker away, a
/// dropped connection) are retried with exponential backoff for about five minutes, so an outage of
/// the database or the broker delays work instead of failing it; the message's own faults get two quick
/// retries before the message goes to its _error queue (and its run is failed with the reason);
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
        _retryMilliseconds = retryMilliseconds.Length > 0 ? retryMilliseconds : [100, 500];
    }

    /// <summary>Waits between retries of an infrastructure fault: about 5 minutes in all.</summary>
    public static readonly TimeSpan[] InfrastructureBackoff =
        [.. new[] { 0.2, 0.5, 1, 2, 4, 8, 15, 30, 30, 30, 30, 30, 30, 30, 30, 30 }.Select(TimeSpan.FromSeconds)];

    /// <summary>
    /// Outgoing messages wait until the consumer has succeeded (the in-memory outbox). A consumer that
    /// commits and publishes in stages, and republishes idempotently on redelivery, turns this off so
    /// each stage's messages leave at once.
    /// </summary>
    protected virtual bool HoldMessagesUntilDone => true;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<T> consumerConfigurator, IRegistrationContext context)
    {
        // Outer: the message's own faults, briefly. Inner: infrastructure, with backoff until it is back.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Intervals(_retryMilliseconds);
            r.Handle<Exception>(e => !Transience.IsInfrastructure(e));
        });
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Intervals(InfrastructureBackoff);
            r.Handle<Exception>(Transience.IsInfrastructure);
        });
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
