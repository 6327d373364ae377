using System.Text.Json.Serialization;

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

    /// <summary>The first request.</summary>
    public ControllerRequest Start() => Track(Begin());

    /// <summary>The Generator's reply to the request in flight.</summary>
    public ControllerRequest OnGenerated(IReadOnlyList<Continuation> continuations) => Track(Generated(Awaiting, continuations));

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
        Answer = n.Answer, Score = n.Score, StepScores = [.. n.StepScores], Group = n.Group, Rollout = n.Rollout, RolloutAnswer = n.RolloutAnswer,
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
