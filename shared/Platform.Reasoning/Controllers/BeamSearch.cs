using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

public sealed record BeamSettings
{
    /// <summary>Budget: samples per round.</summary>
    public int N { get; init; } = 16;

    /// <summary>Beam width: expansions per kept node (default √N).</summary>
    public int M { get; init; } = 4;

    /// <summary>The most rounds (steps) a search takes when its plan names none: the one home of this default.</summary>
    public const int DefaultMaxRounds = 40;

    public int MaxRounds { get; init; } = DefaultMaxRounds;

    /// <summary>k of lookahead search: each candidate is scored at the end of a k-step greedy rollout (0: plain beam search).</summary>
    public int Lookahead { get; init; }

    /// <summary>Diverse verifier tree search: N/M independent subtrees, each keeping its own best.</summary>
    public bool Diverse { get; init; }

    public void Validate()
    {
        if (N < 1 || M < 1 || M > N || N % M != 0)
        {
            throw new ArgumentException($"beam search needs 1 <= M <= N with N divisible by M (N={N}, M={M})");
        }

        if (MaxRounds < 1 || Lookahead < 0)
        {
            throw new ArgumentException($"rounds must be >= 1 and lookahead >= 0 (rounds={MaxRounds}, lookahead={Lookahead})");
        }
    }
}

/// <summary>
/// PRM-guided beam search (Snell et al.): round 0 samples N first steps; every round scores the new
/// steps, sets finished solutions aside, keeps the top N/M partial solutions and expands each M
/// times; after at most R rounds (or once N solutions finished, or nothing is left to expand) the
/// answer is picked by weighted best-of-N (last-step score summed per answer) over the finished
/// solutions. Lookahead-k scores each candidate at the end of a k-step temperature-0 rollout, which the
/// Generator writes in the same generation as the step (one round, like plain beam search).
/// DVTS splits the N samples into N/M subtrees that each keep their single best node.
/// Seeded candidates (a probe's finished solutions) join the finished pool.
/// </summary>
public sealed class BeamSearch : StrategyController
{
    public BeamSettings Settings { get; set; } = new();
    public List<string> Active { get; set; } = [];
    public List<string> Fresh { get; set; } = [];
    public List<string> Completed { get; set; } = [];
    public int Round { get; set; }

    public static BeamSearch Create(BeamSettings settings)
    {
        settings.Validate();
        return new BeamSearch { Settings = settings };
    }

    /// <summary>A controller and its first request (the root expanded N times).</summary>
    public static (BeamSearch Search, ControllerRequest First) Start(BeamSettings settings)
    {
        var search = Create(settings);
        return (search, search.Start());
    }

    public override void Seed(IReadOnlyList<SearchNode> candidates, int nextId)
    {
        AddSeeds(candidates, nextId);
        Completed.AddRange(candidates.Where(c => c.Terminal).Select(c => c.Key));
    }

    protected override ControllerRequest Begin() => Expand([""], Settings.N);

    /// <summary>Every new step is scored next: as written, or with lookahead at the end of its rollout.</summary>
    private ExpandNodes Expand(IReadOnlyList<string> nodes, int samples) =>
        new(nodes, samples) { ThenScore = RequestKinds.Score, RolloutSteps = Settings.Lookahead };

    protected override ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations) => kind switch
    {
        RequestKinds.Expand => OnExpanded(continuations),
        RequestKinds.Rollout => OnRolledOut(continuations),
        _ => throw Unexpected(kind),
    };

    protected override ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores) => OnScoredNodes(scores);

    public ControllerRequest OnExpanded(IReadOnlyList<Continuation> continuations)
    {
        NewCall();
        Fresh = [];
        foreach (var c in continuations.OrderBy(c => Active.IndexOf(c.NodeKey)).ThenBy(c => c.SampleIndex))
        {
            var node = AddChild(c);
            if (Round == 0)
            {
                node.Group = c.SampleIndex / Settings.M; // DVTS: the first N samples split into N/M subtrees
            }

            Fresh.Add(node.Key);
        }

        // A run stored before rollouts came with their steps rolls its open candidates out in a round of their own.
        var unrolled = Settings.Lookahead > 0 ? Fresh.Where(k => !Nodes[k].Terminal && Nodes[k].Rollout is null).ToList() : [];
        return unrolled.Count > 0 ? new RollOut(unrolled, Settings.Lookahead, 0) : ScoreFresh();
    }

    public ControllerRequest OnRolledOut(IReadOnlyList<Continuation> rollouts)
    {
        NewCall();
        foreach (var r in rollouts)
        {
            Nodes[r.NodeKey].Rollout = r.Text;
        }

        return ScoreFresh();
    }

    private ScoreTexts ScoreFresh() => new(Fresh.Select(k => (k, Nodes[k].ScoredText)).ToList());

    /// <summary>Step scores of the texts asked for, by node key.</summary>
    public ControllerRequest OnScoredNodes(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        NewCall();
        foreach (var key in Fresh)
        {
            Nodes[key].Scored(scores);
            Updated.Add(key);
        }

        Completed.AddRange(Fresh.Where(k => Nodes[k].Terminal));
        var candidates = Fresh.Where(k => !Nodes[k].Terminal).ToList();
        Round++;
        Active = Settings.Diverse
            ? candidates.GroupBy(k => Nodes[k].Group).Select(g => Ranked(g).First()).ToList()
            : Ranked(candidates).Take(Settings.N / Settings.M).ToList();

        if (Active.Count == 0 || Round >= Settings.MaxRounds || (!Settings.Diverse && Completed.Count >= Settings.N))
        {
            return Finish();
        }

        return Expand(Active, Settings.M);
    }

    /// <summary>Highest score first; ties keep creation order.</summary>
    private IEnumerable<string> Ranked(IEnumerable<string> keys) =>
        keys.OrderByDescending(k => Nodes[k].Score ?? 0).ThenBy(k => int.Parse(k.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Weighted best-of-N over finished solutions; without any, the best-scored partial one.</summary>
    public FinishRun Finish()
    {
        var pool = Completed.Count > 0 ? Completed : Ranked(Nodes.Keys.Where(k => k != "")).Take(1).ToList();
        if (pool.Count == 0)
        {
            return new FinishRun(null, null);
        }

        var chosen = AnswerSelection.Weighted(pool.Select(k => Nodes[k].Answer).ToList(), pool.Select(k => Nodes[k].Score ?? 0).ToList());
        var key = pool[chosen ?? 0];
        return new FinishRun(key, Nodes[key].Answer);
    }
}
