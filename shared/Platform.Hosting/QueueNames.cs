namespace Platform.Hosting;

/// <summary>Queue names of the commands, shared by the services that send and the ones that consume them.</summary>
public static class QueueNames
{
    public const string SubmitBatch = "submit-batch";
    public const string GenerateCandidates = "generate-candidates";
    public const string ScoreCandidates = "score-candidates";
    public const string FailRun = "fail-run";

    /// <summary>The command queues, declared up front on a cluster (<see cref="QuorumQueues"/>).</summary>
    public static readonly string[] Commands = [SubmitBatch, GenerateCandidates, ScoreCandidates, FailRun];

    /// <summary>
    /// Whether the broker this process talks to holds the platform's queues as quorum queues. A
    /// <c>queue:</c> send address declares its queue as a classic one, which RabbitMQ refuses for a quorum
    /// queue, so commands are then sent to the queue's exchange (<c>exchange:</c>), which the queue is bound
    /// to from the start (<see cref="QuorumQueues"/>). Set where the bus is configured: one broker per process.
    /// </summary>
    public static bool Quorum { get; internal set; }

    public static Uri Address(string queue) => new(Quorum ? $"exchange:{queue}" : $"queue:{queue}");
}
