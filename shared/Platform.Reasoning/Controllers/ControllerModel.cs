using System.Text.Json.Serialization;
using Platform.Reasoning.Answers;

namespace Platform.Reasoning.Controllers;

/// <summary>
/// A node of a run's candidate tree: a partial or finished solution, all steps from the root. Sampling
/// strategies hang their N solutions under the root; search strategies grow the tree step by step.
/// </summary>
public sealed class SearchNode
{
    public string Key { get; set; } = "";
    public string? Parent { get; set; }

    /// <summary>The solution text from the root to this node, step delimiters included.</summary>
    public string Text { get; set; } = "";

    /// <summary>Steps from the root (a whole sampled solution: its step count).</summary>
    public int Depth { get; set; }

    public int Tokens { get; set; }
    public string Finish { get; set; } = "";

    /// <summary>Ended: an answer was written, or generation hit end-of-sequence or its token cap.</summary>
    public bool Terminal { get; set; }

    public string? Answer { get; set; }

    /// <summary>The verifier score the controller ranks by; null until scored.</summary>
    public double? Score { get; set; }

    /// <summary>Verifier scores of this node's own steps, when scored.</summary>
    public List<double> StepScores { get; set; } = [];

    /// <summary>DVTS subtree.</summary>
    public int Group { get; set; }

    /// <summary>Text a rollout (lookahead or MCTS simulation) added after this node.</summary>
    public string? Rollout { get; set; }

    public string? RolloutAnswer { get; set; }

    /// <summary>What the verifier scores for this node: its text, then its rollout's.</summary>
    [JsonIgnore] public string ScoredText => Text + Rollout;

    /// <summary>The continuation's confidence from the generator's log-probabilities (null when none was reported).</summary>
    public Confidence.TraceConfidence? Confidence { get; set; }

    /// <summary>The continuation's packed per-token log-probabilities, while the reply that brought it is being stored (not part of the saved state).</summary>
    [JsonIgnore] public byte[]? LogProbs { get; set; }

    /// <summary>Made by an earlier phase of a composed controller (a probe) and handed on.</summary>
    public bool Seeded { get; set; }

    // MCTS statistics
    public int Visits { get; set; }
    public double ValueSum { get; set; }
    public bool Expanded { get; set; }
    public List<string> Children { get; set; } = [];

    [JsonIgnore] public double MeanValue => Visits == 0 ? 0 : ValueSum / Visits;

    /// <summary>The node a continuation makes under <paramref name="parent"/> (linked into the parent's children).</summary>
    public static SearchNode Child(SearchNode parent, Continuation c, string key)
    {
        var node = new SearchNode
        {
            Key = key, Parent = parent.Key, Text = parent.Text + c.Text, Depth = parent.Depth + 1, Tokens = c.Tokens,
            Finish = c.FinishReason, Terminal = Ends(c.Text, c.FinishReason), Group = parent.Group, Confidence = c.Confidence, LogProbs = c.LogProbs,
            Rollout = c.Rollout,
        };
        node.Answer = node.Terminal ? AnswerExtractor.Extract(node.Text) : null;
        parent.Children.Add(key);
        return node;
    }

    /// <summary>Takes the verifier's step scores of this node's scored text: the last one ranks it, its own steps are kept.</summary>
    public double Scored(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        var steps = scores.TryGetValue(Key, out var s) ? s : [];
        Score = steps.Count > 0 ? steps[^1] : 0;
        StepScores = steps.Take(Depth).ToList();
        return Score.Value;
    }

    /// <summary>The finish reason of a trace the Generator stopped because its window confidence fell below the run's threshold (DeepConf online).</summary>
    public const string StoppedForConfidence = "confidence";

    /// <summary>Whether a newly written step ends the solution.</summary>
    public static bool Ends(string step, string finishReason) =>
        finishReason is "eos" or "length" or "context" or StoppedForConfidence || AnswerExtractor.Extract(step, AnswerFormat.Stated) is not null;
}

/// <summary>
/// One continuation the Generator produced for a node, with its confidence when the Generator reported log-probabilities,
/// and what a lookahead step's greedy rollout wrote after it (<see cref="ExpandNodes.RolloutSteps"/>).
/// </summary>
public sealed record Continuation(string NodeKey, int SampleIndex, string Text, int Tokens, string FinishReason, Confidence.TraceConfidence? Confidence = null,
    byte[]? LogProbs = null, string? Rollout = null);

/// <summary>What a controller asks for next: one request per round, or the run's end.</summary>
public abstract record ControllerRequest
{
    /// <summary>The round's kind, stored with the round and part of its request id.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Set on a generation request when the controller's next request will be to score exactly the nodes
    /// this one creates (each node's text: its prefix and the new continuation) under this kind. A driver
    /// may then have the samples scored on their way back and hand the controller both replies at once.
    /// </summary>
    public string? ThenScore { get; init; }
}

/// <summary>
/// Sample <paramref name="Samples"/> whole solutions from the root at <paramref name="Temperature"/> (0: greedy),
/// with the plan's budget forcing when <paramref name="BudgetForcing"/> is set.
/// </summary>
public sealed record SampleSolutions(int Samples, double Temperature, bool BudgetForcing = false, string RoundKind = RequestKinds.Generate) : ControllerRequest
{
    public override string Kind => RoundKind;

    /// <summary>DeepConf online: the Generator stops a sample once the mean confidence of its last window of tokens falls below this (null: never).</summary>
    public double? StopBelow { get; init; }
}

/// <summary>Sample <paramref name="Samples"/> next steps from each node (temperature sampling).</summary>
public sealed record ExpandNodes(IReadOnlyList<string> Nodes, int Samples) : ControllerRequest
{
    public override string Kind => RequestKinds.Expand;

    /// <summary>Lookahead: each new step goes on greedily this many steps in the same generation, to be scored at its end (0: none).</summary>
    public int RolloutSteps { get; init; }
}

/// <summary>Continue each node <paramref name="Steps"/> steps (0: to the end) at the given temperature, one sample each.</summary>
public sealed record RollOut(IReadOnlyList<string> Nodes, int Steps, double Temperature) : ControllerRequest
{
    public override string Kind => RequestKinds.Rollout;
}

/// <summary>
/// Ask the revision model for the next attempt of each chain: the key of the chain's last attempt and
/// the chain's latest attempts (oldest first) to show it; one sample each.
/// </summary>
public sealed record ReviseChains(IReadOnlyList<(string Key, IReadOnlyList<string> Attempts)> Chains, double Temperature) : ControllerRequest
{
    public override string Kind => RequestKinds.Revise;
}

/// <summary>Score with the verifier the given texts (node key, text from the root).</summary>
public sealed record ScoreTexts(IReadOnlyList<(string Key, string Text)> Items, string RoundKind = RequestKinds.Score) : ControllerRequest
{
    public override string Kind => RoundKind;
}

/// <summary>The run is over: the chosen node (null when nothing was produced) and its answer.</summary>
public sealed record FinishRun(string? Node, string? Answer) : ControllerRequest
{
    public override string Kind => "finish";
}

/// <summary>The kinds of rounds (and of the requests that carry them).</summary>
public static class RequestKinds
{
    public const string Generate = "generate";
    public const string Expand = "expand";
    public const string Rollout = "rollout";
    public const string Revise = "revise";
    public const string Score = "score";
    public const string Probe = "probe";
    public const string ProbeScore = "probe-score";

    /// <summary>Whether a kind is answered by the Verifier (otherwise by the Generator).</summary>
    public static bool IsScoring(string kind) => kind is Score or ProbeScore;
}
