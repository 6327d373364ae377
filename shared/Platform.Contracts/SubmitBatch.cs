namespace Platform.Contracts;

/// <summary>Command sent to the Router: plan and run every problem of the batch.</summary>
public record SubmitBatch
{
    public Guid BatchId { get; init; }
    public string? Name { get; init; }

    /// <summary>Where the problems came from (a file name, "http", "cli").</summary>
    public string? Source { get; init; }

    public IReadOnlyList<ProblemSubmission> Problems { get; init; } = [];

    /// <summary>
    /// A large batch travels in parts (no broker message over 1 MB): the index in the whole batch of this
    /// part's first problem, and the whole batch's problem count (null: this message is the whole batch).
    /// </summary>
    public int Offset { get; init; }

    public int? TotalProblems { get; init; }

    /// <summary>One fixed strategy for every problem; null lets the Router's policy choose per problem.</summary>
    public string? Strategy { get; init; }

    /// <summary>Samples (or search budget) per problem when <see cref="Strategy"/> is fixed.</summary>
    public int? N { get; init; }

    /// <summary>PRM step aggregation: last, min, prod or mean.</summary>
    public string? Aggregation { get; init; }

    public int? BeamWidth { get; init; }
    public int? Lookahead { get; init; }
    public int? Iterations { get; init; }

    /// <summary>MCTS: stop once the run has generated this many tokens (in addition to the iteration cap).</summary>
    public long? SearchTokenBudget { get; init; }

    /// <summary>MCTS: pick the final answer by mean value instead of visit count.</summary>
    public bool? SelectByValue { get; init; }

    /// <summary>Budget forcing bounds (strategy budget-forcing).</summary>
    public BudgetForcingSettings? BudgetForcing { get; init; }

    /// <summary>Total generated-token budget for the batch, split across problems by the Router (shorthand for a <see cref="Budget"/> of tokens for the batch).</summary>
    public long? TokenBudget { get; init; }

    /// <summary>A budget in tokens or FLOPs, for the batch or per problem, spent by the compute-optimal policy.</summary>
    public ComputeBudget? Budget { get; init; }

    /// <summary>sequential-revisions: parallel chains P and attempts per chain L (N = P x L; either may be left out).</summary>
    public int? Chains { get; init; }

    public int? ChainLength { get; init; }

    /// <summary>sequential-revisions: "verifier" (best of each chain, then weighted across chains; default) or "majority" (over all attempts).</summary>
    public string? RevisionSelection { get; init; }

    /// <summary>
    /// Sample (sequential-revisions: start chains) in waves and stop once the answer is settled, as
    /// "rule=weight,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=16,give-up-weight=0.5" (rule weight, beta
    /// or esc; any key may be left out; null: all N at once). For self-consistency, best-of-n, weighted-best-of-n,
    /// confidence-vote, deepconf and sequential-revisions.
    /// </summary>
    public string? EarlyStop { get; init; }

    /// <summary>
    /// confidence-vote and deepconf: how the generator's confidence ranks, filters and stops traces, as
    /// "measure=lowest-group,keep=90,window=2048,warmup=16,top-k=20" (any key may be left out).
    /// </summary>
    public string? Confidence { get; init; }

    /// <summary>sequential-revisions: the revision model (default: the Router's, gen-revise).</summary>
    public string? ReviseModel { get; init; }

    /// <summary>Sampling temperature of sampling strategies (null: the generator's recipe; greedy stays greedy).</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling mass (null: the generator's recipe).</summary>
    public double? TopP { get; init; }

    /// <summary>Tokens one sample may generate (null: the generator's recipe, else Router:MaxNewTokens).</summary>
    public int? MaxNewTokens { get; init; }

    public string? GeneratorModel { get; init; }
    public string? VerifierModel { get; init; }
    public int? Seed { get; init; }

    /// <summary>
    /// Priority class for the workers' fair share: interactive, batch (null: batch) or sweep, no higher
    /// than the submitter's limit (Router:Admission:Keys).
    /// </summary>
    public string? Priority { get; init; }

    /// <summary>Who submitted the batch: the API key's name over HTTP (set by the API, never taken from the body); senders on the bus name themselves.</summary>
    public string? Submitter { get; init; }

    /// <summary>When the batch was submitted (set by whoever accepts it: the HTTP API, the CLI); the Router's clock otherwise.</summary>
    public DateTimeOffset? SubmittedAt { get; init; }
}
