using MassTransit;
using Platform.Contracts;

namespace Platform.Generator.Consumers;

/// <summary>Samples the requested continuations and publishes them. Stateless: a redelivered command is simply served again.</summary>
public sealed class GenerateCandidatesConsumer(GenerationService generation, ILogger<GenerateCandidatesConsumer> logger) : IConsumer<GenerateCandidates>
{
    public async Task Consume(ConsumeContext<GenerateCandidates> context)
    {
        var reply = await generation.Generate(context.Message, context.CancellationToken);
        if (reply.Error is not null)
        {
            logger.LogWarning("request {RequestId} of run {RunId} refused: {Error}", reply.RequestId, reply.RunId, reply.Error);
        }

        await context.Publish(reply, context.CancellationToken);
    }
}

public sealed class GenerateCandidatesConsumerDefinition : ConsumerDefinition<GenerateCandidatesConsumer>
{
    public GenerateCandidatesConsumerDefinition()
    {
        EndpointName = Platform.Hosting.QueueNames.GenerateCandidates;
        // Many requests in flight at once so the scheduler can batch them.
        ConcurrentMessageLimit = 64;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GenerateCandidatesConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Intervals(200, 1000, 3000));
        endpointConfigurator.UseInMemoryOutbox(context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = 64;
        }
    }
}
