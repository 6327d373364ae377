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
        PlatformTelemetry.Served(logger, "verifier", PlatformTelemetry.ScoredTokens, reply.Usage.ScoredTokens, reply.Usage, reply.RequestId, reply.RunId, reply.Error);

        await context.Publish(reply, context.CancellationToken);
    }
}

/// <summary>Many messages in flight at once so the scheduler can batch them; shared retry and outbox policy.</summary>
public sealed class ScoreCandidatesConsumerDefinition() : PlatformConsumerDefinition<ScoreCandidatesConsumer>(QueueNames.ScoreCandidates, Concurrency)
{
    public const int Concurrency = 64;
}
