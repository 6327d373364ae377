using Platform.Reasoning.Answers;

namespace Platform.Reasoning.Controllers;

public sealed record MctsSettings
{
    /// <summary>Iterations (select, expand, simulate, back up); each expands one leaf into <see cref="Branching"/> children.</summary>
    public int Iterations { get; init; } = 8;

    public int Branching { get; init; } = 4;

    /// <summary>UCB1 exploration constant c in Q/N + c·sqrt(ln N_parent / N).</summary>
    public double Exploration { get; init; } = 1.0;

    /// <summary>Stop early once this many tokens were generated (0: no token budget).</summary>
    public long TokenBudget { get; init; }

    /// <summary>Temperature of the simulations (rollouts to an answer).</summary>
    public double RolloutTemperature { get; init; } = Planning.DefaultPolicy.SamplingTemperature;

    /// <summary>Final answer by visit count (default) or by mean value.</summary>
    public bool SelectByValue { get; init; }

    public void Validate()
    {
        if (Iterations < 1 || Branching < 1 || Exploration < 0 || TokenBudget < 0)
        {
            throw new ArgumentException($"MCTS needs iterations >= 1, branching >= 1, exploration >= 0 (iterations={Iterations}, branching={Branching}, c={Exploration})");
        }
    }
}

/// <summary>
/// Monte-Carlo tree search over reasoning steps: <b>selection</b> descends from the root by UCB1
/// (unvisited children first) to a node not yet expanded; <b>expansion</b> samples B next steps from
/// it; <b>simulation</b> rolls each new child out to a final answer; the PRM scores each simulated
/// solution and that value (the last-step score) is <b>backed up</b> along the path to the root. The
/// answer follows the most visited (or highest-valued) children from the root to a leaf and takes
/// that leaf's own or simulated answer. All state serialises to JSON. Seeded candidates (a probe's
/// finished, scored solutions) become visited children of the root, valued by their scores.
/// </summary>
public sealed class Mcts : StrategyController
{
    public MctsSettings Settings { get; set; } = new();
    public List<string> Fresh { get; set; } = [];
    public int Iteration { get; set; }
    public long TokensUsed { get; set; }

    public static Mcts Create(MctsSettings settings)
    {
        settings.Validate();
        var search = new Mcts { Settings = settings };
        search.Nodes[""].Expanded = true;
        return search;
    }

    public static (Mcts Search, ControllerRequest First) Start(MctsSettings settings)
    {
        var search = Create(settings);
        return (search, search.Start());
    }

    public override void Seed(IReadOnlyList<SearchNode> candidates, int nextId)
    {
        AddSeeds(candidates, nextId);
        foreach (var c in candidates)
        {
            Backup(c.Key, Nodes[c.Key].Score ?? 0);
        }
    }

    protected override ControllerRequest Begin() => new ExpandNodes([""], Settings.Branching);

    protected override ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations) => kind switch
    {
        RequestKinds.Expand => OnExpanded(continuations),
        RequestKinds.Rollout => OnRolledOut(continuations),
        _ => throw Unexpected(kind),
    };

    protected override ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        NewCall();
        foreach (var key in Fresh)
        {
            Backup(key, Nodes[key].Scored(scores));
            Updated.Add(key);
        }

        Iteration++;
        return Next();
    }

    public ControllerRequest OnExpanded(IReadOnlyList<Continuation> continuations)
    {
        NewCall();
        Fresh = [];
        foreach (var c in continuations.OrderBy(c => c.SampleIndex))
        {
            var node = AddChild(c);
            Fresh.Add(node.Key);
            TokensUsed += c.Tokens;
        }

        var open = Fresh.Where(k => !Nodes[k].Terminal).ToList();
        return open.Count > 0 ? new RollOut(open, 0, Settings.RolloutTemperature) : Simulated();
    }

    public ControllerRequest OnRolledOut(IReadOnlyList<Continuation> rollouts)
    {
        NewCall();
        foreach (var r in rollouts)
        {
            var node = Nodes[r.NodeKey];
            node.Rollout = r.Text;
            node.RolloutAnswer = AnswerExtractor.Extract(node.Text + r.Text);
            TokensUsed += r.Tokens;
        }

        return Simulated();
    }

    /// <summary>Score every new child's simulated (or own, when finished) solution.</summary>
    private ScoreTexts Simulated() => new(Fresh.Select(k => (k, Nodes[k].ScoredText)).ToList());

    /// <summary>Adds one visit with <paramref name="value"/> to the node and every ancestor.</summary>
    public void Backup(string key, double value)
    {
        for (string? k = key; k is not null; k = Nodes[k].Parent)
        {
            Nodes[k].Visits++;
            Nodes[k].ValueSum += value;
        }
    }

    private ControllerRequest Next()
    {
        if (Iteration >= Settings.Iterations || (Settings.TokenBudget > 0 && TokensUsed >= Settings.TokenBudget))
        {
            return Finish();
        }

        // Selection; a finished leaf is re-valued (a visit without generation), a bounded number of times.
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var leaf = Select();
            if (!Nodes[leaf].Terminal)
            {
                Nodes[leaf].Expanded = true;
                return new ExpandNodes([leaf], Settings.Branching);
            }

            Backup(leaf, Nodes[leaf].Score ?? 0);
        }

        return Finish();
    }

    /// <summary>From the root, the UCB1-best child (unvisited first, ties by creation) until a node that is not expanded.</summary>
    public string Select()
    {
        var key = "";
        while (Nodes[key].Expanded && Nodes[key].Children.Count > 0)
        {
            var parent = Nodes[key];
            key = parent.Children
                .OrderByDescending(c => Ucb1(parent, Nodes[c]))
                .ThenBy(c => parent.Children.IndexOf(c))
                .First();
        }

        return key;
    }

    public double Ucb1(SearchNode parent, SearchNode child) =>
        child.Visits == 0 ? double.PositiveInfinity
            : child.MeanValue + Settings.Exploration * Math.Sqrt(Math.Log(Math.Max(1, parent.Visits)) / child.Visits);

    public FinishRun Finish()
    {
        var key = "";
        while (Nodes[key].Children.Count > 0)
        {
            var children = Nodes[key].Children.Select(c => Nodes[c]).ToList();
            key = (Settings.SelectByValue
                ? children.OrderByDescending(c => c.MeanValue).ThenByDescending(c => c.Visits)
                : children.OrderByDescending(c => c.Visits).ThenByDescending(c => c.MeanValue)).First().Key;
        }

        if (key == "")
        {
            return new FinishRun(null, null);
        }

        var leaf = Nodes[key];
        return new FinishRun(key, leaf.Terminal ? leaf.Answer : leaf.RolloutAnswer);
    }
}
