using MassTransit;
using Platform.Hosting;
using Platform.Contracts;

namespace Platform.Verifier.Consumers;

/// <summary>Scores every step of every candidate and publishes the scores. Stateless: a redelivered command is served again.</summary>
public sealed class ScoreCandidatesConsumer(ScoringService scoring, WorkerQueues workers, ILogger<ScoreCandidatesConsumer> logger) : IConsumer<ScoreCandidates>
{
    public async Task Consume(ConsumeContext<ScoreCandidates> context)
    {
        using var scope = PlatformTelemetry.Scope(logger, null, context.Message.RunId);
        // A generation sent here to be scored goes on to the Aggregator with its scores, whatever the outcome.
        var reply = await scoring.Score(context.Message, context.CancellationToken) with { Generated = context.Message.Generated, Worker = workers.Own };
        var model = new KeyValuePair<string, object?>("model", reply.Usage.Model);
        PlatformTelemetry.ScoredTokens.Add(reply.Usage.ScoredTokens, model);
        PlatformTelemetry.DeviceSeconds.Add(reply.Usage.DeviceMilliseconds / 1000, model, new KeyValuePair<string, object?>("service", "verifier"));
        if (reply.Error is not null)
        {
            logger.LogWarning("request {RequestId} of run {RunId} refused: {Error}", reply.RequestId, reply.RunId, reply.Error);
        }

        await context.Publish(reply, context.CancellationToken);
    }
}

/// <summary>Many messages in flight at once so the scheduler can batch them; shared retry and outbox policy.</summary>
public sealed class ScoreCandidatesConsumerDefinition() : PlatformConsumerDefinition<ScoreCandidatesConsumer>(QueueNames.ScoreCandidates, Concurrency)
{
    public const int Concurrency = 64;
}
