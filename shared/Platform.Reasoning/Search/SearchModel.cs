using System.Text.Json.Serialization;
using Platform.Reasoning.Answers;

namespace Platform.Reasoning.Search;

/// <summary>A node of a search tree: a partial (or finished) solution, all steps from the root.</summary>
public sealed class SearchNode
{
    public string Key { get; set; } = "";
    public string? Parent { get; set; }

    /// <summary>The solution text from the root to this node, step delimiters included.</summary>
    public string Text { get; set; } = "";

    public int Depth { get; set; }
    public int Tokens { get; set; }
    public string Finish { get; set; } = "";

    /// <summary>Ended: an answer was written, or generation hit end-of-sequence or its token cap.</summary>
    public bool Terminal { get; set; }

    public string? Answer { get; set; }

    /// <summary>The PRM score the search ranks by (last step, or the end of a lookahead rollout); null until scored.</summary>
    public double? Score { get; set; }

    /// <summary>PRM scores of this node's own steps, when scored.</summary>
    public List<double> StepScores { get; set; } = [];

    /// <summary>DVTS subtree.</summary>
    public int Group { get; set; }

    /// <summary>Text a rollout (lookahead or MCTS simulation) added after this node.</summary>
    public string? Rollout { get; set; }

    public string? RolloutAnswer { get; set; }

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
            Finish = c.FinishReason, Terminal = SearchText.Ends(c.Text, c.FinishReason), Group = parent.Group,
        };
        node.Answer = node.Terminal ? AnswerExtractor.Extract(node.Text) : null;
        parent.Children.Add(key);
        return node;
    }

    /// <summary>Takes the PRM's step scores of this node's scored text: the last one ranks it, its own steps are kept.</summary>
    public double Scored(IReadOnlyDictionary<string, IReadOnlyList<double>> scores)
    {
        var steps = scores.TryGetValue(Key, out var s) ? s : [];
        Score = steps.Count > 0 ? steps[^1] : 0;
        StepScores = steps.Take(Depth).ToList();
        return Score.Value;
    }
}

/// <summary>One continuation the Generator produced for a node.</summary>
public sealed record Continuation(string NodeKey, int SampleIndex, string Text, int Tokens, string FinishReason);

/// <summary>What a search controller asks for next.</summary>
public abstract record SearchCommand;

/// <summary>Sample <paramref name="Samples"/> next steps from each node (temperature sampling).</summary>
public sealed record ExpandNodes(IReadOnlyList<string> Nodes, int Samples) : SearchCommand;

/// <summary>Continue each node <paramref name="Steps"/> steps (0: to the end) at the given temperature, one sample each.</summary>
public sealed record RollOut(IReadOnlyList<string> Nodes, int Steps, double Temperature) : SearchCommand;

/// <summary>Score with the PRM the given texts (node key, text from the root).</summary>
public sealed record ScoreTexts(IReadOnlyList<(string Key, string Text)> Items) : SearchCommand;

/// <summary>The search is over: the chosen node (null when nothing was produced) and its answer.</summary>
public sealed record FinishSearch(string? Node, string? Answer) : SearchCommand;

/// <summary>Helpers shared by the controllers.</summary>
public static class SearchText
{
    /// <summary>Whether a newly written step ends the solution.</summary>
    public static bool Ends(string step, string finishReason) =>
        finishReason is "eos" or "length" || AnswerExtractor.Extract(step) is not null;
}
