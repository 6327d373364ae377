using MassTransit;
using Platform.Aggregator.Runs;
using Platform.Contracts;
using Platform.Hosting;

namespace Platform.Aggregator.Consumers;

/// <summary>Starts planned runs, many at once (one transaction): records each run's round 0 and sends its first request.</summary>
public sealed class RunPlannedConsumer(RunDriver driver) : IConsumer<Batch<RunPlanned>>
{
    public Task Consume(ConsumeContext<Batch<RunPlanned>> context) =>
        driver.StartMany([.. context.Message.Select(m => ((ConsumeContext)m, m.Message))], context.CancellationToken);
}

/// <summary>Stores the samples of many runs' rounds at once (a batch of replies, one transaction), then scores them or completes the runs.</summary>
public sealed class CandidatesGeneratedConsumer(RunDriver driver) : IConsumer<Batch<CandidatesGenerated>>
{
    public Task Consume(ConsumeContext<Batch<CandidatesGenerated>> context)
    {
        PlatformTelemetry.ReplyBatch.Record(context.Message.Length);
        return driver.OnReplies([.. context.Message.Select(m => Reply.Of(m))], context.CancellationToken);
    }
}

/// <summary>Stores the step scores of many runs at once, then continues each run or completes it with its selected, graded answer.</summary>
public sealed class CandidatesScoredConsumer(RunDriver driver) : IConsumer<Batch<CandidatesScored>>
{
    public Task Consume(ConsumeContext<Batch<CandidatesScored>> context)
    {
        PlatformTelemetry.ReplyBatch.Record(context.Message.Length);
        return driver.OnReplies([.. context.Message.Select(m => Reply.Of(m))], context.CancellationToken);
    }
}

/// <summary>
/// A request or reply that failed after its retries (the message is in its <c>_error</c> queue): the
/// run is marked failed with the reason, so the batch still completes.
/// </summary>
public sealed class RunFaultConsumer(RunDriver driver) :
    IConsumer<Fault<GenerateCandidates>>, IConsumer<Fault<ScoreCandidates>>, IConsumer<Fault<RunPlanned>>,
    IConsumer<Fault<CandidatesGenerated>>, IConsumer<Fault<CandidatesScored>>
{
    public Task Consume(ConsumeContext<Fault<GenerateCandidates>> context) =>
        driver.Fail(context, context.Message.Message.RunId, Reason("generator", context.Message));

    public Task Consume(ConsumeContext<Fault<ScoreCandidates>> context) =>
        driver.Fail(context, context.Message.Message.RunId, Reason("verifier", context.Message));

    public Task Consume(ConsumeContext<Fault<RunPlanned>> context) =>
        driver.Fail(context, context.Message.Message.RunId, Reason("aggregator (starting the run)", context.Message));

    public Task Consume(ConsumeContext<Fault<CandidatesGenerated>> context) =>
        driver.Fail(context, context.Message.Message.RunId, Reason("aggregator (storing samples)", context.Message));

    public Task Consume(ConsumeContext<Fault<CandidatesScored>> context) =>
        driver.Fail(context, context.Message.Message.RunId, Reason("aggregator (storing scores)", context.Message));

    private static string Reason(string where, Fault fault) =>
        $"{where} failed after retries: {string.Join("; ", fault.Exceptions.Select(e => $"{e.ExceptionType}: {e.Message}"))}";
}

/// <summary>Ends a run that can no longer finish (sent by the watchdog when its request timed out).</summary>
public sealed class FailRunConsumer(RunDriver driver) : IConsumer<FailRun>
{
    public Task Consume(ConsumeContext<FailRun> context) => driver.Fail(context, context.Message.RunId, context.Message.Reason);
}
