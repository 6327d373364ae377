using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Hosting;

namespace Platform.Aggregator.Consumers;

public sealed class RunPlannedConsumerDefinition() : PlatformConsumerDefinition<RunPlannedConsumer>(null, 16);

public sealed class CandidatesGeneratedConsumerDefinition(IOptions<AggregatorOptions> options) : ReplyBatchDefinition<CandidatesGeneratedConsumer>(options);

public sealed class CandidatesScoredConsumerDefinition(IOptions<AggregatorOptions> options) : ReplyBatchDefinition<CandidatesScoredConsumer>(options);

/// <summary>
/// Replies are taken in batches (Aggregator:ReplyBatchSize at once, or what has come within
/// Aggregator:ReplyBatchMilliseconds of the first; two batches at a time). One transaction and a
/// handful of statements serve a whole batch (RunDriver.OnReplies) instead of about ten round trips
/// per reply.
/// </summary>
public abstract class ReplyBatchDefinition<T>(IOptions<AggregatorOptions> options) : PlatformConsumerDefinition<T>(null, options.Value.ReplyBatchSize * Batches)
    where T : class, IConsumer
{
    private const int Batches = 2;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<T> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        consumerConfigurator.Options<BatchOptions>(o => o.SetMessageLimit(options.Value.ReplyBatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(options.Value.ReplyBatchMilliseconds)).SetConcurrencyLimit(Batches));
    }
}
