using MassTransit;
using Platform.Contracts;

namespace Platform.Verifier.Consumers;

/// <summary>Scores every step of every candidate and publishes the scores. Stateless: a redelivered command is served again.</summary>
public sealed class ScoreCandidatesConsumer(ScoringService scoring, ILogger<ScoreCandidatesConsumer> logger) : IConsumer<ScoreCandidates>
{
    public async Task Consume(ConsumeContext<ScoreCandidates> context)
    {
        var reply = await scoring.Score(context.Message, context.CancellationToken);
        if (reply.Error is not null)
        {
            logger.LogWarning("request {RequestId} of run {RunId} refused: {Error}", reply.RequestId, reply.RunId, reply.Error);
        }

        await context.Publish(reply, context.CancellationToken);
    }
}

public sealed class ScoreCandidatesConsumerDefinition : ConsumerDefinition<ScoreCandidatesConsumer>
{
    public ScoreCandidatesConsumerDefinition()
    {
        EndpointName = Platform.Hosting.QueueNames.ScoreCandidates;
        ConcurrentMessageLimit = 64;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ScoreCandidatesConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Intervals(200, 1000, 3000));
        endpointConfigurator.UseInMemoryOutbox(context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = 64;
        }
    }
}
