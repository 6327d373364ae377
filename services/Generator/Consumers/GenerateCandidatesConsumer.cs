using MassTransit;
using Platform.Hosting;
using Platform.Contracts;

namespace Platform.Generator.Consumers;

/// <summary>Samples the requested continuations and publishes them. Stateless: a redelivered command is simply served again.</summary>
public sealed class GenerateCandidatesConsumer(GenerationService generation, ILogger<GenerateCandidatesConsumer> logger) : IConsumer<GenerateCandidates>
{
    public async Task Consume(ConsumeContext<GenerateCandidates> context)
    {
        using var scope = PlatformTelemetry.Scope(logger, null, context.Message.RunId);
        var reply = await generation.Generate(context.Message, context.CancellationToken);
        var model = new KeyValuePair<string, object?>("model", reply.Usage.Model);
        PlatformTelemetry.GeneratedTokens.Add(reply.Usage.GeneratedTokens, model);
        PlatformTelemetry.DeviceSeconds.Add(reply.Usage.DeviceMilliseconds / 1000, model, new KeyValuePair<string, object?>("service", "generator"));
        if (reply.Error is not null)
        {
            logger.LogWarning("request {RequestId} of run {RunId} refused: {Error}", reply.RequestId, reply.RunId, reply.Error);
        }

        await context.Publish(reply, context.CancellationToken);
    }
}

/// <summary>Many messages in flight at once so the scheduler can batch them; shared retry and outbox policy.</summary>
public sealed class GenerateCandidatesConsumerDefinition() : PlatformConsumerDefinition<GenerateCandidatesConsumer>(QueueNames.GenerateCandidates, 64);
