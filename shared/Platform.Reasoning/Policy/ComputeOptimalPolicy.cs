using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Contracts;
using Platform.Reasoning.Controllers;

namespace Platform.Reasoning.Policy;

/// <summary>What a compute budget counts.</summary>
public enum BudgetUnit
{
    Tokens,
    Flops,
}

/// <summary>What a policy reads difficulty from: the probes' verifier scores, or the generator's confidence in them (free: no scoring).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProbeSignal>))]
public enum ProbeSignal
{
    [JsonStringEnumMemberName("score")]
    Score,

    [JsonStringEnumMemberName("confidence")]
    Confidence,
}

/// <summary>What the policy runs for one difficulty bin at one budget.</summary>
public sealed record PolicyStep
{
    public string Strategy { get; init; } = "";
    public int N { get; init; } = 1;
    public int BeamWidth { get; init; }
    public int Lookahead { get; init; }

    /// <summary>Sequential revisions: parallel chains and attempts per chain (the sequential-to-parallel ratio).</summary>
    public int Chains { get; init; }

    public int ChainLength { get; init; }

    /// <summary>Samples or chains in waves, stopped early once settled (null: all at once, to the end).</summary>
    public EarlyStop? EarlyStop { get; init; }

    /// <summary>Confidence voting and DeepConf: how the traces' confidence is read and used.</summary>
    public Confidence.ConfidenceSettings? Confidence { get; init; }

    public string Aggregation { get; init; } = "last";

    /// <summary>Mean generated tokens per problem of this step after the probes, measured on the calibration problems of its bin.</summary>
    public double Tokens { get; init; }

    /// <summary>Mean FLOPs per problem of this step after the probes (generator and verifier), measured likewise.</summary>
    public double Flops { get; init; }

    /// <summary>Its accuracy there (cross-validated where the fit could).</summary>
    public double Accuracy { get; init; }
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
    /// <summary>Probe samples when neither the policy nor the plan names a number: the one home of this default.</summary>
    public const int DefaultProbes = 4;

    public int Probes { get; init; } = DefaultProbes;

    public double ProbeTemperature { get; init; } = Planning.DefaultPolicy.SamplingTemperature;

    /// <summary>Lower bounds of bins 1..4 on the probes' mean signal (higher = easier).</summary>
    public double[] Bounds { get; init; } = [];

    /// <summary>What difficulty is read from: the probes' verifier scores, or their confidence (then the probes are not scored).</summary>
    public ProbeSignal ProbeSignal { get; init; } = ProbeSignal.Score;

    public List<PolicyColumn> Budgets { get; init; } = [];

    /// <summary>Share of calibration problems in each predicted bin (what a batch is expected to look like).</summary>
    public double[] BinShares { get; init; } = [];

    /// <summary>Mean generated tokens per problem of the probes.</summary>
    public double ProbeTokens { get; init; }

    /// <summary>Mean FLOPs per problem of the probes (sampling and scoring).</summary>
    public double ProbeFlops { get; init; }

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

    /// <summary>
    /// A policy fitted on oracle bins (no probes, no bounds): it routes only problems whose difficulty bin
    /// is given (<c>--difficulty oracle</c>).
    /// </summary>
    [JsonIgnore] public bool NeedsKnownDifficulty => Probes == 0;

    public void Validate()
    {
        if (Bounds.Length != (NeedsKnownDifficulty ? 0 : DifficultyBins.Count - 1))
        {
            throw new InvalidDataException(NeedsKnownDifficulty
                ? $"policy: a policy without probes (for known difficulty) has no bounds (has {Bounds.Length})"
                : $"policy: bounds must have {DifficultyBins.Count - 1} values (has {Bounds.Length})");
        }

        if (Probes < 0 || Budgets.Count == 0 || Budgets.Any(c => c.Bins.Count != DifficultyBins.Count || c.Budget < Math.Max(1, Probes)))
        {
            throw new InvalidDataException($"policy: needs probes >= 0 and budget columns of {DifficultyBins.Count} bins, each budget at least the probes");
        }
    }

    /// <summary>The column for a budget of <paramref name="n"/> samples: the largest fitted budget not above it.</summary>
    public PolicyColumn Column(int n) =>
        Budgets.Where(c => c.Budget <= n).MaxBy(c => c.Budget)
        ?? throw new ArgumentException($"the smallest budget this policy was fitted for is {Budgets.Min(c => c.Budget)} samples (asked for {n})");

    /// <summary>
    /// The rule for a budget in generated tokens per problem on average (a batch's total budget over its
    /// problems): the tokens left after the probes are split across the bins by water-filling over each
    /// bin's accuracy-against-tokens curve (its steps at the fitted budgets), weighted by how many problems
    /// fall in each bin — easy bins stop where more tokens buy nothing, hopeless ones too, and the
    /// hard-but-solvable bins get the rest. Bins are upgraded whole, so the expected spend stays within
    /// the budget; an upgrade that no longer fits is skipped for cheaper ones elsewhere.
    /// </summary>
    public PolicyFollowUp FollowUpForTokens(double tokensPerProblem) => FollowUpFor(BudgetUnit.Tokens, tokensPerProblem);

    /// <summary>The same split for a budget in tokens or in FLOPs per problem (each step's and the probes' measured cost in that unit).</summary>
    public PolicyFollowUp FollowUpFor(BudgetUnit unit, double perProblem)
    {
        Func<PolicyStep, double> cost = unit == BudgetUnit.Flops ? s => s.Flops : s => s.Tokens;
        var probeCost = unit == BudgetUnit.Flops ? ProbeFlops : ProbeTokens;
        var name = unit == BudgetUnit.Flops ? "FLOPs" : "tokens";
        if (BinShares.Length != DifficultyBins.Count || Budgets.SelectMany(c => c.Bins).All(s => cost(s) == 0))
        {
            throw new InvalidDataException($"this policy carries no {name} costs per step: refit it (ttc policy fit --probes ... --out)");
        }

        if (perProblem < probeCost)
        {
            throw new ArgumentOutOfRangeException(nameof(perProblem),
                $"a budget of {Format(perProblem, unit)} {name} per problem is below the probes' {Format(probeCost, unit)} {name} per problem");
        }

        // Each bin's curve: its step at every fitted budget, cheapest first (a step no dearer than the last is
        // skipped), scaled by the bin's share of problems — one unit per bin, so a bin is upgraded whole or not
        // at all and the expected spend per problem is the sum over the bins.
        var ordered = Budgets.OrderBy(c => c.Budget).ToList();
        var bins = Enumerable.Range(1, DifficultyBins.Count).Where(b => BinShares[b - 1] > 0).ToList();
        var curves = new Dictionary<int, IReadOnlyList<BudgetLevel>>();
        var columnOf = new Dictionary<int, List<int>>();
        foreach (var bin in bins)
        {
            var share = BinShares[bin - 1];
            var levels = new List<BudgetLevel>();
            var columns = new List<int>();
            for (var c = 0; c < ordered.Count; c++)
            {
                var step = ordered[c].Bins[bin - 1];
                if (levels.Count == 0 || cost(step) * share > levels[^1].Cost)
                {
                    levels.Add(new BudgetLevel(ordered[c].Budget, cost(step) * share, step.Accuracy * share));
                    columns.Add(c);
                }
            }

            curves[bin] = levels;
            columnOf[bin] = columns;
        }

        var cheapest = bins.Sum(bin => curves[bin][0].Cost);
        var chosen = WaterFilling.Allocate(bins, curves, Math.Max(cheapest, perProblem - probeCost));
        var settings = new List<StrategyPlan>();
        var largest = 0;
        for (var bin = 1; bin <= DifficultyBins.Count; bin++)
        {
            var at = bins.IndexOf(bin);
            var column = ordered[at < 0 ? 0 : columnOf[bin][chosen[at]]];
            var step = column.Bins[bin - 1];
            largest = Math.Max(largest, column.Budget);
            settings.Add(Settings(step));
        }

        return new PolicyFollowUp
        {
            Version = Version, Budget = largest, TokenBudget = unit == BudgetUnit.Tokens ? perProblem : null, FlopBudget = unit == BudgetUnit.Flops ? perProblem : null,
            Bounds = Bounds, ByBin = settings,
        };
    }

    private static string Format(double x, BudgetUnit unit) =>
        unit == BudgetUnit.Flops ? x.ToString("0.00e+00", System.Globalization.CultureInfo.InvariantCulture) : x.ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The rule a probe-then controller follows after its probes, for a budget of <paramref name="n"/>.</summary>
    public PolicyFollowUp FollowUp(int n)
    {
        var column = Column(n);
        return new PolicyFollowUp
        {
            Version = Version, Budget = column.Budget, Bounds = Bounds, Signal = ProbeSignal,
            ByBin = [.. column.Bins.Select(Settings)],
        };
    }

    /// <summary>A step as the plan its controller is made from (sampling at the probes' temperature).</summary>
    private StrategyPlan Settings(PolicyStep step) => new()
    {
        Strategy = step.Strategy, N = step.N, BeamWidth = step.BeamWidth, Lookahead = step.Lookahead, Aggregation = step.Aggregation, Temperature = ProbeTemperature,
        Chains = step.Chains, ChainLength = step.ChainLength, EarlyStop = step.EarlyStop?.Spec, Confidence = step.Confidence?.Spec,
    };

    /// <summary>Whether some step of the policy runs sequential revisions (its plans then need a revision model).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool UsesRevisions => Budgets.Any(c => c.Bins.Any(b => b.Strategy == Planning.Strategies.SequentialRevisions));
}

/// <summary>
/// The fitted policy's decision after the probes: their mean final verifier score gives the predicted
/// difficulty bin, and the bin gives the strategy (seeded with the probes, so they are paid once).
/// </summary>
public sealed class PolicyFollowUp : FollowUpRule
{
    public int Version { get; set; }
    public int Budget { get; set; }

    /// <summary>When the rule was split from a token budget: the tokens per problem it was given.</summary>
    public double? TokenBudget { get; set; }

    /// <summary>When the rule was split from a FLOPs budget: the FLOPs per problem it was given.</summary>
    public double? FlopBudget { get; set; }

    public double[] Bounds { get; set; } = [];
    public List<StrategyPlan> ByBin { get; set; } = [];

    /// <summary>What the bounds apply to: the probes' verifier scores or their confidence.</summary>
    public ProbeSignal Signal { get; set; } = ProbeSignal.Score;

    [JsonIgnore] public override bool ReadsScores => Signal == ProbeSignal.Score;

    /// <summary>The probes' mean signal: final verifier score (an unscored probe counts 0) or mean token confidence (a probe without one counts 0).</summary>
    public double Mean(IReadOnlyList<SearchNode> probes) =>
        probes.Count == 0 ? 0 : probes.Average(p => Signal == ProbeSignal.Confidence ? p.Confidence?.Mean ?? 0 : p.Score ?? 0);

    /// <summary>Predicted bin of a mean probe signal.</summary>
    public int Bin(double mean) => DifficultyBins.Assign(mean, Bounds);

    public override (StrategyPlan Settings, string Reason) Choose(IReadOnlyList<SearchNode> firstPhase)
    {
        var mean = Mean(firstPhase);
        var bin = Bin(mean);
        var budget = TokenBudget is { } tokens ? $"{tokens:0} tokens per problem" : FlopBudget is { } flops ? $"{flops:0.00e+00} FLOPs per problem" : $"budget {Budget}";
        var what = Signal == ProbeSignal.Confidence ? "confidence" : "score";
        return (ByBin[bin - 1], $"policy v{Version} at {budget}: predicted bin {bin} (mean probe {what} {mean:0.000})");
    }
}
