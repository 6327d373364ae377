namespace Platform.Reasoning.Planning;

/// <summary>The strategies the platform knows, and which of them the pipeline runs today.</summary>
public static class Strategies
{
    public const string Greedy = "greedy";
    public const string SelfConsistency = "self-consistency";
    public const string BestOfN = "best-of-n";
    public const string WeightedBestOfN = "weighted-best-of-n";
    public const string BeamSearch = "beam-search";
    public const string Lookahead = "lookahead";
    public const string Dvts = "dvts";
    public const string Mcts = "mcts";
    public const string BudgetForcing = "budget-forcing";

    /// <summary>DeepConf offline: the most confident traces (by the generator's own token log-probabilities) vote, weighted by confidence.</summary>
    public const string ConfidenceVote = "confidence-vote";

    /// <summary>DeepConf online: warm-up traces set a confidence threshold; later traces are stopped below it; sampling stops at consensus.</summary>
    public const string DeepConf = "deepconf";

    /// <summary>Probes first; a fitted policy maps their verifier scores to a difficulty bin and the bin to a strategy.</summary>
    public const string ComputeOptimal = "compute-optimal";

    /// <summary>P chains of L attempts: a generator sample, then revisions by a revision model that reads the chain's last attempts.</summary>
    public const string SequentialRevisions = "sequential-revisions";

    public static readonly IReadOnlyList<string> All = [Greedy, SelfConsistency, BestOfN, WeightedBestOfN, BeamSearch, Lookahead, Dvts, Mcts, BudgetForcing, ComputeOptimal, SequentialRevisions, ConfidenceVote, DeepConf];

    /// <summary>The strategies that can sample in waves and stop early.</summary>
    public static readonly IReadOnlyList<string> EarlyStopping = [SelfConsistency, BestOfN, WeightedBestOfN, ConfidenceVote, DeepConf, SequentialRevisions];

    public static bool StopsEarly(string? strategy) => strategy is not null && EarlyStopping.Contains(strategy);

    public static bool UsesConfidence(string? strategy) => strategy is ConfidenceVote or DeepConf;

    public static bool UsesVerifier(string strategy) => strategy is BestOfN or WeightedBestOfN or BeamSearch or Lookahead or Dvts or Mcts or ComputeOptimal or SequentialRevisions;

    /// <summary>Null when the strategy can run; otherwise why not.</summary>
    public static string? Check(string? strategy) => strategy switch
    {
        null => null,
        _ when All.Contains(strategy) => null,
        _ => $"unknown strategy '{strategy}' (known: {string.Join(", ", All)})",
    };
}
