using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Reasoning.Controllers;

namespace Platform.Reasoning.Policy;

/// <summary>What the policy runs for one difficulty bin at one budget.</summary>
public sealed record PolicyStep
{
    public string Strategy { get; init; } = "";
    public int N { get; init; } = 1;
    public int BeamWidth { get; init; }
    public int Lookahead { get; init; }
    public string Aggregation { get; init; } = "last";
}

/// <summary>One budget's column of the policy: a step per difficulty bin (1 easiest).</summary>
public sealed record PolicyColumn
{
    public int Budget { get; init; }
    public List<PolicyStep> Bins { get; init; } = [];
}

/// <summary>
/// A fitted compute-optimal policy as it ships next to the models (<c>models/policy.json</c>): how to
/// read difficulty from k probe samples (the verifier's mean final score, mapped to five bins by
/// <see cref="Bounds"/>), and for each budget and bin what to run next. Written by
/// <c>ttc policy fit</c>; read by the Router for <c>--strategy compute-optimal</c>.
/// </summary>
public sealed record ComputeOptimalPolicy
{
    public int Version { get; init; } = 1;
    public string Generator { get; init; } = "";
    public string Verifier { get; init; } = "";

    /// <summary>Probe samples drawn first; they count towards the budget and join the final pool.</summary>
    public int Probes { get; init; } = 4;

    public double ProbeTemperature { get; init; } = 0.8;

    /// <summary>Lower bounds of bins 1..4 on the mean probe score (higher = easier).</summary>
    public double[] Bounds { get; init; } = [];

    public List<PolicyColumn> Budgets { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The same naming, on one line (a plan carries its rule this way).</summary>
    public static readonly JsonSerializerOptions Compact = new(Json) { WriteIndented = false };

    public static ComputeOptimalPolicy Parse(string json)
    {
        var policy = JsonSerializer.Deserialize<ComputeOptimalPolicy>(json, Json) ?? throw new InvalidDataException("the policy file is empty");
        policy.Validate();
        return policy;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Validate()
    {
        if (Bounds.Length != DifficultyBins.Count - 1)
        {
            throw new InvalidDataException($"policy: bounds must have {DifficultyBins.Count - 1} values (has {Bounds.Length})");
        }

        if (Probes < 1 || Budgets.Count == 0 || Budgets.Any(c => c.Bins.Count != DifficultyBins.Count || c.Budget < Probes))
        {
            throw new InvalidDataException($"policy: needs probes >= 1 and budget columns of {DifficultyBins.Count} bins, each budget at least the probes");
        }
    }

    /// <summary>The column for a budget of <paramref name="n"/> samples: the largest fitted budget not above it.</summary>
    public PolicyColumn Column(int n) =>
        Budgets.Where(c => c.Budget <= n).MaxBy(c => c.Budget)
        ?? throw new ArgumentException($"the smallest budget this policy was fitted for is {Budgets.Min(c => c.Budget)} samples (asked for {n})");

    /// <summary>The rule a probe-then controller follows after its probes, for a budget of <paramref name="n"/>.</summary>
    public PolicyFollowUp FollowUp(int n)
    {
        var column = Column(n);
        return new PolicyFollowUp
        {
            Version = Version, Budget = column.Budget, Bounds = Bounds,
            ByBin = [.. column.Bins.Select(s => new ControllerSettings
            {
                Strategy = s.Strategy, N = s.N, BeamWidth = s.BeamWidth, Lookahead = s.Lookahead, Aggregation = s.Aggregation, Temperature = ProbeTemperature,
            })],
        };
    }
}

/// <summary>
/// The fitted policy's decision after the probes: their mean final verifier score gives the predicted
/// difficulty bin, and the bin gives the strategy (seeded with the probes, so they are paid once).
/// </summary>
public sealed class PolicyFollowUp : FollowUpRule
{
    public int Version { get; set; }
    public int Budget { get; set; }
    public double[] Bounds { get; set; } = [];
    public List<ControllerSettings> ByBin { get; set; } = [];

    /// <summary>Predicted bin of a set of probes (their mean score; an unscored probe counts 0).</summary>
    public int Bin(IReadOnlyList<SearchNode> probes) =>
        DifficultyBins.Assign(probes.Count == 0 ? 0 : probes.Average(p => p.Score ?? 0), Bounds);

    public override (ControllerSettings Settings, string Reason) Choose(IReadOnlyList<SearchNode> firstPhase)
    {
        var bin = Bin(firstPhase);
        var mean = firstPhase.Count == 0 ? 0 : firstPhase.Average(p => p.Score ?? 0);
        return (ByBin[bin - 1], $"policy v{Version} at budget {Budget}: predicted bin {bin} (mean probe score {mean:0.000})");
    }
}
