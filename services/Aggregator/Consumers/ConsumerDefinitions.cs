using MassTransit;

namespace Platform.Aggregator.Consumers;

/// <summary>
/// Every Aggregator consumer: short in-memory retries for transient faults (a lost race on a unique
/// key, a dropped connection), then the message goes to its _error queue and the fault consumer
/// fails the run. Outgoing messages wait in the in-memory outbox until the consumer has succeeded.
/// </summary>
public abstract class AggregatorConsumerDefinition<T> : ConsumerDefinition<T>
    where T : class, IConsumer
{
    protected AggregatorConsumerDefinition(int concurrency)
    {
        ConcurrentMessageLimit = concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<T> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1500, 4000));
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}

public sealed class RunPlannedConsumerDefinition() : AggregatorConsumerDefinition<RunPlannedConsumer>(16);

public sealed class CandidatesGeneratedConsumerDefinition() : AggregatorConsumerDefinition<CandidatesGeneratedConsumer>(16);

public sealed class CandidatesScoredConsumerDefinition() : AggregatorConsumerDefinition<CandidatesScoredConsumer>(16);

public sealed class RunFaultConsumerDefinition() : AggregatorConsumerDefinition<RunFaultConsumer>(4);

public sealed class BatchProgressConsumerDefinition() : AggregatorConsumerDefinition<BatchProgressConsumer>(4);
