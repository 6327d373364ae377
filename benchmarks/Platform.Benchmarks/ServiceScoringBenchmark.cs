using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Inference.Runtime;

namespace Platform.Benchmarks;

public sealed record ServiceScoringResult(long ScoredTokens, long CachedScoredTokens, double Seconds, double DeviceSeconds, int Failed)
{
    /// <summary>Scored tokens over the time from the first command sent to the last reply received.</summary>
    public double TokensPerSecond => ScoredTokens / Seconds;
}

/// <summary>
/// The Verifier service on its own, fed the solutions <see cref="ScoringBenchmark"/> scores in process: every
/// problem's solutions one <see cref="ScoreCandidates"/> command, all sent at once over the broker to the
/// running service's shared queue, every <see cref="CandidatesScored"/> it publishes collected here. What the
/// service costs over its engine (messages, serialization, the consumer's concurrency, batching across
/// commands) shows as the rate against the engine's; no Generator competes for the cores.
/// </summary>
public sealed class ServiceScoringBenchmark : IAsyncDisposable
{
    private readonly IHost _host;

    private ServiceScoringBenchmark(IHost host) => _host = host;

    /// <summary>A bus client with the platform's messaging settings (<c>Messaging:*</c> from the environment) and a queue for the scores.</summary>
    public static async Task<ServiceScoringBenchmark> Connect()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<Replies>();
        builder.AddPlatformMessaging("ttc-bench", [], x => x.AddConsumer<ScoresConsumer>());
        var host = builder.Build();
        await host.StartAsync();
        return new ServiceScoringBenchmark(host);
    }

    public async Task<ServiceScoringResult> Run(string verifier, IReadOnlyList<IReadOnlyList<ScoreRequest>> solutions)
    {
        var replies = _host.Services.GetRequiredService<Replies>();
        var commands = solutions.Select(s => new ScoreCandidates
        {
            RequestId = Guid.NewGuid(), RunId = Guid.NewGuid(), Kind = "score", Model = verifier, Problem = s[0].Problem, StepDelimiter = s[0].StepDelimiter,
            Candidates = [.. s.Select((r, i) => new CandidateToScore { Key = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Text = r.Solution })],
        }).ToList();
        var waiting = commands.Select(c => replies.Expect(c.RequestId)).ToList();
        var endpoint = await _host.Services.GetRequiredService<IBus>().GetSendEndpoint(QueueNames.Address(QueueNames.ScoreCandidates));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(commands.Select(c => endpoint.Send(c)));
        var scored = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromMinutes(10));
        var seconds = clock.Elapsed.TotalSeconds;
        return new ServiceScoringResult(scored.Sum(s => s.Usage.ScoredTokens), scored.Sum(s => s.Usage.CachedScoredTokens), seconds,
            scored.Sum(s => s.Usage.DeviceMilliseconds) / 1000, scored.Count(s => s.Error is not null || s.Scores.Any(c => c.Error is not null)));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    /// <summary>Replies awaited by request id.</summary>
    public sealed class Replies
    {
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource<CandidatesScored>> _waiting = new();

        public Task<CandidatesScored> Expect(Guid requestId) =>
            _waiting.GetOrAdd(requestId, _ => new TaskCompletionSource<CandidatesScored>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Arrived(CandidatesScored reply)
        {
            if (_waiting.TryRemove(reply.RequestId, out var pending))
            {
                pending.TrySetResult(reply);
            }
        }
    }

    /// <summary>Takes the scores the Verifier publishes.</summary>
    public sealed class ScoresConsumer(Replies replies) : IConsumer<CandidatesScored>
    {
        public Task Consume(ConsumeContext<CandidatesScored> context)
        {
            replies.Arrived(context.Message);
            return Task.CompletedTask;
        }
    }
}
