using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Hosting;

namespace Platform.Aggregator.Consumers;

public sealed class RunPlannedConsumerDefinition(IOptions<AggregatorOptions> options) : ReplyBatchDefinition<RunPlannedConsumer>(options);

public sealed class CandidatesGeneratedConsumerDefinition(IOptions<AggregatorOptions> options) : ReplyBatchDefinition<CandidatesGeneratedConsumer>(options);

public sealed class CandidatesScoredConsumerDefinition(IOptions<AggregatorOptions> options) : ReplyBatchDefinition<CandidatesScoredConsumer>(options);

/// <summary>
/// Replies, and the RunPlanned messages that start runs, are taken in batches (Aggregator:ReplyBatchSize
/// at once, or what has come within Aggregator:ReplyBatchMilliseconds of the first; two batches at a
/// time). One transaction and a handful of statements serve a whole batch (ReplyApplier.OnReplies,
/// RunStarter.StartMany) instead of several round trips per message.
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
