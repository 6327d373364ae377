namespace Platform.Hosting;

/// <summary>Queue names of the commands, shared by the services that send and the ones that consume them.</summary>
public static class QueueNames
{
    public const string SubmitBatch = "submit-batch";
    public const string GenerateCandidates = "generate-candidates";
    public const string ScoreCandidates = "score-candidates";
    public const string FailRun = "fail-run";

    public static Uri Address(string queue) => new($"queue:{queue}");
}
