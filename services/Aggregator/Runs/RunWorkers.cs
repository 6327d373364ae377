using Platform.Hosting;
using Platform.Storage.Entities;

namespace Platform.Aggregator.Runs;

/// <summary>
/// Which Generator and Verifier a run's next rounds go to (decision 0023): the ones that served its last
/// rounds, whose prefix caches hold its problem and partial solutions. A name that is not a worker queue
/// of the expected command, or a reply that waited so long that the worker's queue may be gone, routes
/// by the shared queue instead.
/// </summary>
public static class RunWorkers
{
    /// <summary>The worker queue a reply names, kept on its usage row when it has the shape of one.</summary>
    public static string? Named(Reply reply) =>
        WorkerQueues.IsWorkerOf(reply.Worker, reply.Samples is not null ? QueueNames.GenerateCandidates : QueueNames.ScoreCandidates) ? reply.Worker : null;

    public static void Remember(Run run, Reply reply, DateTimeOffset now, AffinityOptions affinity)
    {
        var sent = reply.Context.SentTime is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : now;
        var usable = affinity.Enabled && now - sent < TimeSpan.FromSeconds(affinity.QueueExpirySeconds / 2.0);
        if (reply.Samples is not null)
        {
            run.GeneratorWorker = usable ? Named(reply) : null;
        }
        else
        {
            run.VerifierWorker = usable ? Named(reply) : null;
        }

        if (reply.Scoring is { } scoring)
        {
            run.VerifierWorker = usable ? Named(scoring) : null;
        }
    }
}
