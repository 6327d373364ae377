namespace Platform.Contracts;

/// <summary>How one problem is to be solved, and with how much compute.</summary>
public record StrategyPlan
{
    /// <summary>greedy, self-consistency, best-of-n, weighted-best-of-n, beam-search, lookahead, dvts, mcts, budget-forcing, compute-optimal.</summary>
    public string Strategy { get; init; } = "greedy";

    /// <summary>Number of samples (or the search budget in samples).</summary>
    public int N { get; init; } = 1;

    /// <summary>PRM step aggregation: last, min, prod or mean.</summary>
    public string Aggregation { get; init; } = "last";

    public int BeamWidth { get; init; }
    public int Lookahead { get; init; }
    public int MaxRounds { get; init; }
    public int Iterations { get; init; }
    public double ExplorationConstant { get; init; }
    public long SearchTokenBudget { get; init; }
    public bool SelectByValue { get; init; }

    public double Temperature { get; init; }
    public double TopP { get; init; } = 1.0;
    public int TopK { get; init; }
    public int MaxNewTokens { get; init; }

    /// <summary>sequential-revisions: parallel chains P and attempts per chain L (N = P x L), and how the answer is picked ("verifier" or "majority").</summary>
    public int Chains { get; init; }

    public int ChainLength { get; init; }
    public string? RevisionSelection { get; init; }

    /// <summary>Samples (chains) in waves, stopped once the answer is settled (<see cref="SubmitBatch.EarlyStop"/>; null: all at once).</summary>
    public string? EarlyStop { get; init; }

    /// <summary>confidence-vote and deepconf: how confidence ranks, filters and stops traces (<see cref="SubmitBatch.Confidence"/>).</summary>
    public string? Confidence { get; init; }

    /// <summary>A chat's turns before the problem text, its last user turn (<see cref="ProblemSubmission.Conversation"/>); null: the problem text through the recipe.</summary>
    public IReadOnlyList<ChatTurn>? Conversation { get; init; }

    /// <summary>The problem text is the prompt, verbatim (<c>/v1/completions</c>).</summary>
    public bool RawPrompt { get; init; }

    public string GeneratorModel { get; init; } = "";

    /// <summary>sequential-revisions: the model that writes revisions (the first attempt of a chain comes from <see cref="GeneratorModel"/>).</summary>
    public string? ReviseModel { get; init; }

    public string VerifierModel { get; init; } = "";

    /// <summary>What ends a step in the generator's text (its recipe), passed to the verifier with every candidate; null: the verifier's own.</summary>
    public string? StepDelimiter { get; init; }

    /// <summary>For the budget-forcing strategy.</summary>
    public BudgetForcingSettings? BudgetForcing { get; init; }
    public int Seed { get; init; }

    /// <summary>Probe samples drawn (and scored) before the strategy proper; 0: none.</summary>
    public int Probes { get; init; }

    /// <summary>
    /// For compute-optimal: the fitted policy's rule for after the probes (difficulty bounds on the
    /// probes' mean score and a strategy per bin), as JSON; its version is in it.
    /// </summary>
    public string? PolicyJson { get; init; }
}
