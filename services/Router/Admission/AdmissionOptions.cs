using Platform.Reasoning.Scheduling;

namespace Platform.Router.Admission;

/// <summary>
/// Bound from <c>Router:Admission</c>: how the Router lets planned runs out to the workers. Runs wait in
/// the database until the admission scheduler gives their batch a turn (<see cref="FairShare"/>), so a
/// small batch starts within moments however large the batches ahead of it.
/// </summary>
public sealed class AdmissionOptions
{
    public const string Section = "Router:Admission";

    /// <summary>
    /// Runs in flight (let out and not ended) across every batch. Enough to keep the workers' continuous
    /// batches full; 0: no limit (every planned run is let out at once, first come first served).
    /// </summary>
    public int MaxRunsInFlight { get; set; } = 1024;

    /// <summary>Runs in flight one submitter may have (0: no limit but the overall one).</summary>
    public int MaxRunsInFlightPerSubmitter { get; set; }

    /// <summary>Runs in flight one batch may have (0: no limit but the overall one).</summary>
    public int MaxRunsInFlightPerBatch { get; set; }

    /// <summary>How often the scheduler looks again when nothing wakes it (a batch planned here wakes it at once).</summary>
    public int IntervalMilliseconds { get; set; } = 100;

    /// <summary>Runs let out in one pass at most (a pass with no overall limit lets out up to this many).</summary>
    public int MaxPerPass { get; set; } = 4000;

    /// <summary>Weight of each priority class (interactive, batch, sweep) against the others.</summary>
    public Dictionary<string, double> ClassWeights { get; set; } = new(PriorityClasses.DefaultWeights);

    /// <summary>The highest class a submitter not listed in <see cref="Submitters"/> may ask for.</summary>
    public string DefaultMaxPriority { get; set; } = PriorityClasses.Batch;

    /// <summary>Per submitter (an API key's name, "cli", "sweep"): its weight, highest class and own limit.</summary>
    public Dictionary<string, SubmitterShare> Submitters { get; set; } = new(StringComparer.Ordinal)
    {
        [SubmitterNames.Sweep] = new SubmitterShare { MaxPriority = PriorityClasses.Sweep },
    };

    public SubmitterShare For(string submitter) => Submitters.TryGetValue(submitter, out var share) ? share : new SubmitterShare { MaxPriority = DefaultMaxPriority };

    public double ClassWeight(string priority) => ClassWeights.TryGetValue(priority, out var w) ? w : PriorityClasses.DefaultWeights[PriorityClasses.Batch];

    /// <summary>The class a batch runs with: the one it asked for, else batch (sweep for the sweeps' submitter).</summary>
    public string EffectivePriority(string? submitter, string? priority) =>
        priority ?? (For(submitter ?? "").MaxPriority == PriorityClasses.Sweep ? PriorityClasses.Sweep : PriorityClasses.Batch);

    /// <summary>Why a batch may not run with this priority class (field Priority); null when it may.</summary>
    public string? PriorityProblem(string? submitter, string? priority)
    {
        var wanted = EffectivePriority(submitter, priority);
        if (!PriorityClasses.IsKnown(wanted))
        {
            return $"the priority must be one of {string.Join(", ", PriorityClasses.All)} (was '{wanted}')";
        }

        var limit = For(submitter ?? "").MaxPriority ?? DefaultMaxPriority;
        return PriorityClasses.Allows(limit, wanted)
            ? null
            : $"'{submitter}' may submit at priority {limit} at most (was '{wanted}'; {Section}:Submitters:{submitter}:MaxPriority)";
    }

    /// <summary>Why the settings cannot be used, naming the setting; null when they can.</summary>
    public string? Problem()
    {
        if (MaxRunsInFlight < 0 || MaxRunsInFlightPerSubmitter < 0 || MaxRunsInFlightPerBatch < 0)
        {
            return $"{Section}:MaxRunsInFlight, MaxRunsInFlightPerSubmitter and MaxRunsInFlightPerBatch must be >= 0 (0: no limit)";
        }

        if (IntervalMilliseconds is < 10 or > 60_000 || MaxPerPass is < 1 or > 100_000)
        {
            return $"{Section}:IntervalMilliseconds must be within 10..60000 and MaxPerPass within 1..100000";
        }

        if (ClassWeights.FirstOrDefault(w => !PriorityClasses.IsKnown(w.Key) || !(w.Value > 0)) is { Key: not null } bad)
        {
            return $"{Section}:ClassWeights:{bad.Key} must be a class ({string.Join(", ", PriorityClasses.All)}) with a weight > 0";
        }

        if (!PriorityClasses.IsKnown(DefaultMaxPriority))
        {
            return $"{Section}:DefaultMaxPriority must be one of {string.Join(", ", PriorityClasses.All)}";
        }

        return Submitters.FirstOrDefault(s => !(s.Value.Weight > 0) || s.Value.MaxRunsInFlight < 0 || (s.Value.MaxPriority is { } p && !PriorityClasses.IsKnown(p)))
            is { Key: { } name }
            ? $"{Section}:Submitters:{name}: Weight must be > 0, MaxRunsInFlight >= 0 and MaxPriority one of {string.Join(", ", PriorityClasses.All)}"
            : null;
    }
}

/// <summary>Fails the Router's start with the setting that is wrong.</summary>
public sealed class AdmissionOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<AdmissionOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, AdmissionOptions options) => options.Problem() is { } problem
        ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problem)
        : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}

/// <summary>One submitter's share of the workers.</summary>
public sealed class SubmitterShare
{
    /// <summary>Its weight against other submitters (split between its active batches).</summary>
    public double Weight { get; set; } = 1;

    /// <summary>The highest priority class it may ask for (null: Router:Admission:DefaultMaxPriority).</summary>
    public string? MaxPriority { get; set; }

    /// <summary>Its own limit on runs in flight (0: Router:Admission:MaxRunsInFlightPerSubmitter).</summary>
    public int MaxRunsInFlight { get; set; }
}
