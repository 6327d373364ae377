namespace Platform.Reasoning.Scheduling;

/// <summary>The priority classes a batch is admitted with, highest first, and their default weights.</summary>
public static class PriorityClasses
{
    public const string Interactive = "interactive";
    public const string Batch = "batch";
    public const string Sweep = "sweep";

    /// <summary>Highest first: a submitter allowed a class may use it and every class after it.</summary>
    public static readonly IReadOnlyList<string> All = [Interactive, Batch, Sweep];

    /// <summary>Shares of the workers a class's batch gets against another class's (weighted, so the lowest class still progresses).</summary>
    public static readonly IReadOnlyDictionary<string, double> DefaultWeights = new Dictionary<string, double>
    {
        [Interactive] = 8, [Batch] = 2, [Sweep] = 1,
    };

    public static bool IsKnown(string? name) => name is not null && All.Contains(name);

    /// <summary>Whether <paramref name="wanted"/> is within <paramref name="limit"/> (the same class or a lower one).</summary>
    public static bool Allows(string limit, string wanted) => IsKnown(limit) && IsKnown(wanted) && Rank(wanted) >= Rank(limit);

    private static int Rank(string name) => All.ToList().IndexOf(name);
}

/// <summary>Submitters that are not API keys.</summary>
public static class SubmitterNames
{
    /// <summary>HTTP with API keys off.</summary>
    public const string Anonymous = "anonymous";

    /// <summary><c>ttc submit</c> and <c>ttc eval</c> unless told otherwise.</summary>
    public const string Cli = "cli";

    /// <summary>The nightly calibration sweeps (priority class sweep).</summary>
    public const string Sweep = "sweep";
}

/// <summary>One active batch as the admission scheduler sees it.</summary>
/// <param name="Id">The batch.</param>
/// <param name="Submitter">Whose batch it is (the fair share is between submitters first).</param>
/// <param name="Weight">The batch's class weight times its submitter's weight.</param>
/// <param name="InFlight">Its runs let out that have not ended.</param>
/// <param name="Waiting">Its runs waiting their turn (an upper bound is enough: a batch given more than it has returns the rest).</param>
/// <param name="SubmitterLimit">Runs in flight its submitter may have in all (0: no limit of its own).</param>
public sealed record Contender(Guid Id, string Submitter, double Weight, int InFlight, int Waiting, int SubmitterLimit = 0);

/// <summary>
/// Weighted fair sharing of the workers between batches: how many more runs each active batch may let out
/// now. A submitter's weight is split evenly between its active batches, so a submitter with many batches
/// gets no more than one with a single batch; each free slot goes to the batch whose runs in flight, per
/// unit of weight, are fewest (max-min fairness on what is in flight, the steady state of weighted fair
/// queuing when runs take similar time). A small batch arriving behind a large one therefore gets its share
/// as soon as the large one's runs end, and a batch alone may use every slot.
/// </summary>
public static class FairShare
{
    /// <param name="contenders">The active batches.</param>
    /// <param name="free">Runs that may be let out now in all (the capacity less every batch's runs in flight).</param>
    /// <param name="perBatch">Runs in flight one batch may have (0: no limit of its own).</param>
    /// <returns>Runs to let out now, by batch (only batches given at least one).</returns>
    public static Dictionary<Guid, int> Allocate(IReadOnlyList<Contender> contenders, int free, int perBatch = 0)
    {
        var result = new Dictionary<Guid, int>();
        var bySubmitter = contenders.GroupBy(c => c.Submitter).ToDictionary(g => g.Key, g => (Batches: g.Count(), InFlight: g.Sum(c => c.InFlight)));
        var queue = new PriorityQueue<int, (double Share, int Order)>();
        var given = new int[contenders.Count];
        var inFlightBySubmitter = bySubmitter.ToDictionary(s => s.Key, s => s.Value.InFlight);
        for (var i = 0; i < contenders.Count; i++)
        {
            var c = contenders[i];
            if (c.Waiting > 0 && c.Weight > 0)
            {
                queue.Enqueue(i, (Share(c, 0, bySubmitter[c.Submitter].Batches), i));
            }
        }

        while (free > 0 && queue.TryDequeue(out var i, out _))
        {
            var c = contenders[i];
            if (given[i] >= c.Waiting || (perBatch > 0 && c.InFlight + given[i] >= perBatch)
                || (c.SubmitterLimit > 0 && inFlightBySubmitter[c.Submitter] >= c.SubmitterLimit))
            {
                continue; // full: out of the turn for good
            }

            given[i]++;
            inFlightBySubmitter[c.Submitter]++;
            free--;
            queue.Enqueue(i, (Share(c, given[i], bySubmitter[c.Submitter].Batches), i));
        }

        for (var i = 0; i < contenders.Count; i++)
        {
            if (given[i] > 0)
            {
                result[contenders[i].Id] = given[i];
            }
        }

        return result;
    }

    /// <summary>Runs in flight per unit of weight once the next one is let out: the lowest goes next.</summary>
    private static double Share(Contender c, int given, int submitterBatches) => (c.InFlight + given + 1) / (c.Weight / submitterBatches);
}
