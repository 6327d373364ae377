using Platform.Reasoning.Arithmetic;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

/// <summary>How a sampling controller picks one candidate from its pool.</summary>
public enum PoolSelection
{
    /// <summary>The first candidate it generated itself (greedy decoding, budget forcing).</summary>
    First,

    /// <summary>Self-consistency: the most frequent answer.</summary>
    Majority,

    /// <summary>Best-of-N: the candidate with the highest aggregated verifier score.</summary>
    Best,

    /// <summary>Weighted best-of-N: aggregated scores summed per answer.</summary>
    Weighted,
}

public sealed record SampleSettings
{
    public int N { get; init; } = 1;
    public double Temperature { get; init; } = 0.8;
    public PoolSelection Selection { get; init; } = PoolSelection.First;
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;
    public bool BudgetForcing { get; init; }

    /// <summary>Label the rounds as a probe's ("probe", "probe-score") rather than a strategy's own.</summary>
    public bool ProbeRounds { get; init; }

    public bool UsesVerifier => Selection is PoolSelection.Best or PoolSelection.Weighted;

    public void Validate()
    {
        if (N < 1)
        {
            throw new ArgumentException($"N must be at least 1 (was {N})");
        }

        if (Temperature < 0)
        {
            throw new ArgumentException($"temperature must be >= 0 (was {Temperature})");
        }
    }
}

/// <summary>
/// The sampling strategies: one round of N whole solutions from the root (seeded candidates count
/// towards N, except for greedy decoding and budget forcing, which always answer with their own sample), a scoring round when the selection needs a verifier, then the pick. Greedy is N = 1 at
/// T = 0; self-consistency votes; best-of-N and weighted best-of-N rank by the aggregated step scores.
/// </summary>
public sealed class SampleAndSelect : StrategyController
{
    public SampleSettings Settings { get; set; } = new();

    public static SampleAndSelect Create(SampleSettings settings)
    {
        settings.Validate();
        return new SampleAndSelect { Settings = settings };
    }

    /// <summary>The candidates the pick is made from, in order: seeded ones first, then generated ones.</summary>
    public List<string> Pool { get; set; } = [];

    public override void Seed(IReadOnlyList<SearchNode> candidates, int nextId)
    {
        AddSeeds(candidates, nextId);
        Pool.AddRange(candidates.Select(c => c.Key));
    }

    protected override ControllerRequest Begin()
    {
        NewCall();
        // Seeded samples count towards N, except for greedy-like picks, which answer with their own sample.
        var missing = Settings.Selection == PoolSelection.First ? Settings.N : Settings.N - Pool.Count;
        if (missing > 0)
        {
            // With a verifier the pool's unscored samples are scored next: the new ones only, since seeds come scored.
            var scoreNext = Settings.UsesVerifier && Unscored().Count == 0 ? ScoreKind : null;
            return new SampleSolutions(missing, Settings.Temperature, Settings.BudgetForcing, Settings.ProbeRounds ? RequestKinds.Probe : RequestKinds.Generate)
            {
                ThenScore = scoreNext,
            };
        }

        return Settings.UsesVerifier && Unscored().Count > 0 ? ScoreUnscored() : Pick();
    }

    protected override ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations)
    {
        NewCall();
        foreach (var c in continuations.OrderBy(c => c.SampleIndex))
        {
            var node = AddChild(c);
            node.Terminal = true;
            node.Depth = ArithmeticFormat.SplitSteps(node.Text).Count;
            node.Answer = Answers.AnswerExtractor.Extract(node.Text);
            Pool.Add(node.Key);
        }

        if (Pool.Count == 0)
        {
            return new FinishRun(null, null);
        }

        return Settings.UsesVerifier && Unscored().Count > 0 ? ScoreUnscored() : Pick();
    }

    protected override ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        NewCall();
        RecordScores(Unscored(), scores, Settings.Aggregation);

        return Pick();
    }

    private List<string> Unscored() => Pool.Where(k => Nodes[k].Score is null).ToList();

    private string ScoreKind => Settings.ProbeRounds ? RequestKinds.ProbeScore : RequestKinds.Score;

    private ScoreTexts ScoreUnscored() => new(Unscored().Select(k => (k, Nodes[k].Text)).ToList(), ScoreKind);

    private FinishRun Pick()
    {
        if (Pool.Count == 0)
        {
            return new FinishRun(null, null);
        }

        var answers = Pool.Select(k => Nodes[k].Answer).ToList();
        IReadOnlyList<double> Scores() => Pool.Select(k => Nodes[k].Score ?? 0).ToList();
        var chosen = Settings.Selection switch
        {
            PoolSelection.First => Pool.FindIndex(k => !Nodes[k].Seeded) is var i and >= 0 ? i : 0,
            PoolSelection.Majority => AnswerSelection.Majority(answers),
            PoolSelection.Best => AnswerSelection.Best(answers, Scores()),
            _ => AnswerSelection.Weighted(answers, Scores()),
        };

        // When no candidate has an answer, the first one is still recorded as the run's pick.
        var key = Pool[chosen ?? 0];
        return new FinishRun(key, Nodes[key].Answer);
    }
}
