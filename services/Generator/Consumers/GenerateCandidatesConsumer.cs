using MassTransit;
using Platform.Hosting;
using Platform.Contracts;

namespace Platform.Generator.Consumers;

/// <summary>Samples the requested continuations and publishes them. Stateless: a redelivered command is simply served again.</summary>
public sealed class GenerateCandidatesConsumer(GenerationService generation, WorkerQueues workers, ILogger<GenerateCandidatesConsumer> logger) : IConsumer<GenerateCandidates>
{
    public async Task Consume(ConsumeContext<GenerateCandidates> context)
    {
        using var scope = PlatformTelemetry.Scope(logger, null, context.Message.RunId);
        var reply = await generation.Generate(context.Message, context.CancellationToken) with { Worker = workers.Own };
        PlatformTelemetry.Served(logger, "generator", PlatformTelemetry.GeneratedTokens, reply.Usage.GeneratedTokens, reply.Usage, reply.RequestId, reply.RunId, reply.Error);

        if (context.Message.ThenScore is { } then && reply.Error is null && reply.Samples.Count > 0)
        {
            // Scored on the way back: the Verifier gets the samples and passes them on to the Aggregator with their scores.
            var endpoint = await context.GetSendEndpoint(WorkerQueues.Address(QueueNames.ScoreCandidates, then.Worker));
            await endpoint.Send(ScoringOf(context.Message, then, reply), context.CancellationToken);
            return;
        }

        await context.Publish(reply, context.CancellationToken);
    }

    /// <summary>The scoring request for a generation's samples: each scored as its prefix's text followed by the sample (and its lookahead rollout).</summary>
    private static ScoreCandidates ScoringOf(GenerateCandidates request, ScoreAfterGeneration then, CandidatesGenerated reply)
    {
        var prefixes = request.Prefixes.DistinctBy(p => p.Key).ToDictionary(p => p.Key, p => p.Text);
        return new ScoreCandidates
        {
            RequestId = then.RequestId, RunId = request.RunId, Round = then.Round, Kind = then.Kind, Model = then.Model, Problem = request.Problem,
            StepDelimiter = then.StepDelimiter,
            Candidates = reply.Samples.Select(s => new CandidateToScore { Key = ScoreAfterGeneration.KeyOf(s), Text = prefixes.GetValueOrDefault(s.PrefixKey, "") + s.Text + s.Rollout }).ToList(),
            Generated = reply,
        };
    }
}

/// <summary>Many messages in flight at once so the scheduler can batch them; shared retry and outbox policy.</summary>
public sealed class GenerateCandidatesConsumerDefinition() : PlatformConsumerDefinition<GenerateCandidatesConsumer>(QueueNames.GenerateCandidates, Concurrency)
{
    public const int Concurrency = 64;
}
