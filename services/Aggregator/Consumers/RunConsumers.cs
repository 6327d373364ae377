using MassTransit;
using Platform.Aggregator.Runs;
using Platform.Contracts;
using Platform.Hosting;

namespace Platform.Aggregator.Consumers;

/// <summary>Starts planned runs, many at once (one transaction): records each run's round 0 and sends its first request.</summary>
public sealed class RunPlannedConsumer(RunStarter starter) : IConsumer<Batch<RunPlanned>>
{
    public Task Consume(ConsumeContext<Batch<RunPlanned>> context) =>
        starter.StartMany([.. context.Message.Select(m => new PlannedRun(m, m.Message))], context.CancellationToken);
}

/// <summary>Stores the samples of many runs' rounds at once (a batch of replies, one transaction), then scores them or completes the runs.</summary>
public sealed class CandidatesGeneratedConsumer(ReplyApplier replies) : IConsumer<Batch<CandidatesGenerated>>
{
    public Task Consume(ConsumeContext<Batch<CandidatesGenerated>> context)
    {
        PlatformTelemetry.ReplyBatch.Record(context.Message.Length);
        return replies.OnReplies([.. context.Message.Select(m => Reply.Of(m))], context.CancellationToken);
    }
}

/// <summary>Stores the step scores of many runs at once, then continues each run or completes it with its selected, graded answer.</summary>
public sealed class CandidatesScoredConsumer(ReplyApplier replies) : IConsumer<Batch<CandidatesScored>>
{
    public Task Consume(ConsumeContext<Batch<CandidatesScored>> context)
    {
        PlatformTelemetry.ReplyBatch.Record(context.Message.Length);
        return replies.OnReplies([.. context.Message.Select(m => Reply.Of(m))], context.CancellationToken);
    }
}

/// <summary>
/// A request or reply that failed after its retries (the message is in its <c>_error</c> queue): the
/// run is marked failed with the reason, so the batch still completes.
/// </summary>
public sealed class RunFaultConsumer(RunOutcomes outcomes) :
    IConsumer<Fault<GenerateCandidates>>, IConsumer<Fault<ScoreCandidates>>, IConsumer<Fault<RunPlanned>>,
    IConsumer<Fault<CandidatesGenerated>>, IConsumer<Fault<CandidatesScored>>
{
    public Task Consume(ConsumeContext<Fault<GenerateCandidates>> context) =>
        outcomes.Fail(context, context.Message.Message.RunId, Reason("generator", context.Message));

    public Task Consume(ConsumeContext<Fault<ScoreCandidates>> context) =>
        outcomes.Fail(context, context.Message.Message.RunId, Reason("verifier", context.Message));

    public Task Consume(ConsumeContext<Fault<RunPlanned>> context) =>
        outcomes.Fail(context, context.Message.Message.RunId, Reason("aggregator (starting the run)", context.Message));

    public Task Consume(ConsumeContext<Fault<CandidatesGenerated>> context) =>
        outcomes.Fail(context, context.Message.Message.RunId, Reason("aggregator (storing samples)", context.Message));

    public Task Consume(ConsumeContext<Fault<CandidatesScored>> context) =>
        outcomes.Fail(context, context.Message.Message.RunId, Reason("aggregator (storing scores)", context.Message));

    private static string Reason(string where, Fault fault) =>
        $"{where} failed after retries: {string.Join("; ", fault.Exceptions.Select(e => $"{e.ExceptionType}: {e.Message}"))}";
}

/// <summary>Ends a run that can no longer finish (sent by the watchdog when its request timed out).</summary>
public sealed class FailRunConsumer(RunOutcomes outcomes) : IConsumer<FailRun>
{
    public Task Consume(ConsumeContext<FailRun> context) => outcomes.Fail(context, context.Message.RunId, context.Message.Reason);
}
