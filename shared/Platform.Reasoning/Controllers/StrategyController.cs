using System.Text.Json.Serialization;
using Platform.Reasoning.Selection;

namespace Platform.Reasoning.Controllers;

/// <summary>
/// Every strategy is one of these: given its own state and the reply to its last request, it returns
/// the next request (generate, expand, roll out, score) or the run's end. All state is in the object
/// and serialises to JSON (<see cref="ControllerRegistry.Save"/>), so whoever drives a run — the
/// Aggregator, embedded or distributed — stores it with each round and resumes from it after a
/// restart. The driver knows nothing strategy-specific: it stores the nodes a call <see cref="Created"/>
/// as candidates and the scores of the nodes it <see cref="Updated"/>, and dispatches the request.
/// </summary>
public abstract class StrategyController
{
    /// <summary>Every node of the run, by key; "" is the root (empty text).</summary>
    public virtual Dictionary<string, SearchNode> Nodes { get; set; } = new() { [""] = new SearchNode() };

    /// <summary>Counter behind node keys (n0, n1, ...).</summary>
    public virtual int NextId { get; set; }

    /// <summary>The kind of the request in flight (what the next reply answers).</summary>
    public string Awaiting { get; set; } = "";

    /// <summary>Nodes the last call created: the driver stores them as candidates.</summary>
    public virtual List<string> Created { get; set; } = [];

    /// <summary>Nodes the last call scored: the driver stores their scores.</summary>
    public virtual List<string> Updated { get; set; } = [];

    /// <summary>
    /// The difficulty this run's own compute has measured (a bin and the score it was read from), once
    /// known — a composed controller's probes — for the driver to record with the run; null otherwise.
    /// </summary>
    [JsonIgnore] public virtual (int Bin, double Score)? PredictedDifficulty => null;

    /// <summary>The first request.</summary>
    public ControllerRequest Start() => Track(Begin());

    /// <summary>The Generator's reply to the request in flight.</summary>
    public ControllerRequest OnGenerated(IReadOnlyList<Continuation> continuations) => Track(Generated(Awaiting, continuations));

    /// <summary>
    /// A generation reply whose samples were scored on their way back (<paramref name="scores"/>: one entry
    /// per continuation, null where the verifier sent none). The controller takes the samples; when it then
    /// asks to score exactly those texts under <paramref name="scoreKind"/>, it takes the scores at once, as if
    /// the two replies had come one after the other, and <see cref="Created"/> and <see cref="Updated"/>
    /// report both calls. Otherwise the scores are left aside and the request is what the samples led to.
    /// </summary>
    public (ControllerRequest Next, bool ScoresTaken) OnGeneratedAndScored(IReadOnlyList<Continuation> continuations,
        IReadOnlyList<IReadOnlyList<double>?> scores, string scoreKind)
    {
        if (scores.Count != continuations.Count)
        {
            throw new ArgumentException($"one score entry per continuation ({continuations.Count}), not {scores.Count}");
        }

        // Texts from the root are taken before the call: each continuation's prefix node as it was asked for.
        var byText = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        for (var i = 0; i < continuations.Count; i++)
        {
            if (scores[i] is { } steps && Nodes.TryGetValue(continuations[i].NodeKey, out var prefix))
            {
                byText.TryAdd(prefix.Text + continuations[i].Text + continuations[i].Rollout, steps);
            }
        }

        var next = OnGenerated(continuations);
        if (next is not ScoreTexts asked || asked.Kind != scoreKind)
        {
            return (next, false);
        }

        var byKey = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        foreach (var (key, text) in asked.Items)
        {
            if (!byText.TryGetValue(text, out var steps))
            {
                return (next, false);
            }

            byKey[key] = steps;
        }

        var (created, updated) = (Created, Updated);
        next = OnScored(byKey);
        ReportFirst(created, updated);
        return (next, true);
    }

    /// <summary>Reports what an earlier call created and updated ahead of this call's own, so a driver that sees only the last call stores both.</summary>
    internal void ReportFirst(IReadOnlyList<string> created, IReadOnlyList<string> updated)
    {
        Created = [.. created, .. Created];
        Updated = [.. updated.Concat(Updated).Distinct()];
    }

    /// <summary>The Verifier's reply (step scores by node key) to the request in flight.</summary>
    public ControllerRequest OnScored(IReadOnlyDictionary<string, IReadOnlyList<double>> scores) => Track(ScoresArrived(scores));

    /// <summary>
    /// Hands over finished, scored candidates of an earlier phase (a probe): they join this controller's
    /// pool as if it had made them, and keys continue after <paramref name="nextId"/>.
    /// </summary>
    public abstract void Seed(IReadOnlyList<SearchNode> candidates, int nextId);

    protected abstract ControllerRequest Begin();

    protected abstract ControllerRequest Generated(string kind, IReadOnlyList<Continuation> continuations);

    protected abstract ControllerRequest ScoresArrived(IReadOnlyDictionary<string, IReadOnlyList<double>> scores);

    /// <summary>Clears what the previous call reported; every entry point calls it first.</summary>
    protected void NewCall()
    {
        Created = [];
        Updated = [];
    }

    /// <summary>
    /// Stores each node's step scores as the reply gives them (none where it has none) and their aggregate
    /// as its score, and reports the nodes updated.
    /// </summary>
    protected void RecordScores(IEnumerable<string> keys, IReadOnlyDictionary<string, IReadOnlyList<double>> scores, StepAggregation aggregation)
    {
        foreach (var key in keys)
        {
            var node = Nodes[key];
            var steps = scores.TryGetValue(key, out var s) ? s : [];
            node.StepScores = [.. steps];
            node.Score = aggregation.Aggregate(steps);
            Updated.Add(key);
        }
    }

    /// <summary>Creates the node a continuation makes under its parent and reports it.</summary>
    protected SearchNode AddChild(Continuation c)
    {
        var node = SearchNode.Child(Nodes[c.NodeKey], c, $"n{NextId++}");
        Nodes[node.Key] = node;
        Created.Add(node.Key);
        return node;
    }

    /// <summary>Copies seeded nodes under the root (keys kept) and moves the key counter past them.</summary>
    protected void AddSeeds(IReadOnlyList<SearchNode> candidates, int nextId)
    {
        foreach (var c in candidates)
        {
            var node = Clone(c);
            node.Parent = "";
            node.Seeded = true;
            node.Children = [];
            Nodes[node.Key] = node;
            Nodes[""].Children.Add(node.Key);
        }

        NextId = Math.Max(NextId, nextId);
    }

    private static SearchNode Clone(SearchNode n) => new()
    {
        Key = n.Key, Parent = n.Parent, Text = n.Text, Depth = n.Depth, Tokens = n.Tokens, Finish = n.Finish, Terminal = n.Terminal,
        Answer = n.Answer, Score = n.Score, StepScores = [.. n.StepScores], Group = n.Group, Rollout = n.Rollout, RolloutAnswer = n.RolloutAnswer, Confidence = n.Confidence,
        Seeded = n.Seeded, Visits = n.Visits, ValueSum = n.ValueSum, Expanded = n.Expanded, Children = [.. n.Children],
    };

    private ControllerRequest Track(ControllerRequest request)
    {
        Awaiting = request.Kind;
        return request;
    }

    /// <summary>A reply of a kind this controller did not ask for.</summary>
    protected InvalidOperationException Unexpected(string reply) =>
        new($"{GetType().Name} got a {reply} reply while awaiting '{Awaiting}'");

    [JsonIgnore] public bool Finished => Awaiting == "finish";
}
