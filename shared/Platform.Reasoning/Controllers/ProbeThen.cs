using System.Text.Json.Serialization;
using Platform.Contracts;

namespace Platform.Reasoning.Controllers;

/// <summary>
/// Decides, from a finished first phase, which controller runs next. Implementations are data (they
/// are serialised with the run's state) — e.g. a fixed follow-up, or a fitted policy that maps the
/// probes' scores to a difficulty bin and the bin to a strategy.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$rule")]
[JsonDerivedType(typeof(FixedFollowUp), "fixed")]
[JsonDerivedType(typeof(Policy.PolicyFollowUp), "policy")]
public abstract class FollowUpRule
{
    /// <summary>The settings of the controller that continues after <paramref name="firstPhase"/>, and a note on why.</summary>
    public abstract (StrategyPlan Settings, string Reason) Choose(IReadOnlyList<SearchNode> firstPhase);

    /// <summary>Whether the rule reads the probes' verifier scores (else they are not scored: a rule that reads their confidence).</summary>
    [JsonIgnore] public virtual bool ReadsScores => true;
}

/// <summary>Always the same follow-up.</summary>
public sealed class FixedFollowUp : FollowUpRule
{
    public StrategyPlan Settings { get; set; } = new();

    public override (StrategyPlan Settings, string Reason) Choose(IReadOnlyList<SearchNode> firstPhase) => (Settings, "fixed");
}

/// <summary>
/// A composed controller: a first phase (by default k verifier-scored probe samples) runs to its end,
/// then a rule picks the controller that continues, and that controller is seeded with the first
/// phase's candidates, so their compute is spent once and they join the final pool. The driver sees
/// one controller throughout; node keys never repeat across the phases.
/// </summary>
public sealed class ProbeThen : StrategyController
{
    public StrategyController First { get; set; } = new SampleAndSelect();
    public StrategyController? Then { get; set; }
    public FollowUpRule Rule { get; set; } = new FixedFollowUp();

    /// <summary>What the rule chose and why (kept for the run's record).</summary>
    public string? Chosen { get; set; }

    public string? Reason { get; set; }

    /// <summary>The difficulty bin the rule read from the probes, and their mean score (a fitted policy's rules only).</summary>
    public int? PredictedBin { get; set; }

    public double? ProbeScore { get; set; }

    /// <summary>
    /// k probe samples at <paramref name="temperature"/>, scored by the verifier (last step) — or, for a policy that reads
    /// difficulty from confidence, not scored — then what <paramref name="rule"/> picks.
    /// </summary>
    public static ProbeThen Create(int probes, double temperature, FollowUpRule rule)
    {
        if (probes < 1)
        {
            throw new ArgumentException($"probes must be at least 1 (was {probes})");
        }

        var probe = SampleAndSelect.Create(new SampleSettings
        {
            N = probes, Temperature = temperature, Selection = rule.ReadsScores ? PoolSelection.Weighted : PoolSelection.Majority, ProbeRounds = true,
        });
        return new ProbeThen { First = probe, Rule = rule };
    }

    [JsonIgnore] private StrategyController Active => Then ?? First;

    [JsonIgnore] public override (int Bin, double Score)? PredictedDifficulty => PredictedBin is { } bin && ProbeScore is { } score ? (bin, score) : null;

    [JsonIgnore] public override Dictionary<string, SearchNode> Nodes { get => Active.Nodes; set { } }

    [JsonIgnore] public override int NextId { get => Active.NextId; set { } }

    [JsonIgnore] public override List<string> Created { get => Active.Created; set => Active.Created = value; }

    [JsonIgnore] public override List<string> Updated { get => Active.Updated; set => Active.Updated = value; }

    public override void Seed(IReadOnlyList<SearchNode> candidates, int nextId) => First.Seed(candidates, nextId);

    protected override ControllerRequest Begin() => Continue(First.Start());

    protected override ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations) =>
        Continue(Active.OnGenerated(continuations));

    protected override ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores) =>
        Continue(Active.OnScored(scores));

    /// <summary>When the first phase ends, the rule picks the next controller, which starts seeded with the first phase's pool.</summary>
    private ControllerRequest Continue(ControllerRequest request)
    {
        if (request is not FinishRun || Then is not null)
        {
            return request;
        }

        var pool = First.Nodes.Values.Where(n => n.Key != "" && n.Terminal).ToList();
        var (settings, reason) = Rule.Choose(pool);
        Chosen = settings.Strategy;
        Reason = reason;
        if (Rule is Policy.PolicyFollowUp policy)
        {
            ProbeScore = policy.Mean(pool);
            PredictedBin = policy.Bin(ProbeScore.Value);
        }

        var created = First.Created;
        var updated = First.Updated;
        Then = ControllerRegistry.Create(settings);
        Then.Seed(pool, First.NextId);
        var next = Then.Start();

        // What the first phase's last call produced is still reported with the second's first request.
        Then.ReportFirst(created, updated);
        return next;
    }
}
