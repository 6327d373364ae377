namespace Platform.Contracts;

/// <summary>Command sent to the Generator: sample continuations of each prefix.</summary>
public record GenerateCandidates : IRoundRequest
{
    /// <summary>Deterministic id of (run, round, kind): a redelivery carries the same id.</summary>
    public Guid RequestId { get; init; }
    public Guid RunId { get; init; }
    public int Round { get; init; }

    /// <summary>What the request is for: "generate", "expand", "lookahead", "rollout", "probe".</summary>
    public string Kind { get; init; } = "generate";

    public string Model { get; init; } = "";

    /// <summary>The problem statement; the Generator formats it with the model's prompt template.</summary>
    public string Problem { get; init; } = "";

    /// <summary>When set, the prompt is these turns and then <see cref="Problem"/> as the last user turn, rendered with the model's chat template.</summary>
    public IReadOnlyList<ChatTurn>? Conversation { get; init; }

    /// <summary>The prompt is <see cref="Problem"/> verbatim: no recipe, no chat template.</summary>
    public bool RawPrompt { get; init; }

    public IReadOnlyList<GenerationPrefix> Prefixes { get; init; } = [];

    /// <summary>Samples per prefix.</summary>
    public int SamplesPerPrefix { get; init; } = 1;

    /// <summary>"full": sample to the end of the answer; "step": stop after <see cref="Steps"/> reasoning steps; "revise": a revision model writes the next attempt after each prefix's <see cref="GenerationPrefix.Attempts"/>.</summary>
    public string Mode { get; init; } = "full";

    /// <summary>In "step" mode, how many steps to write (1 for expansion, k for a lookahead rollout).</summary>
    public int Steps { get; init; } = 1;

    /// <summary>In "step" mode, lookahead search: after its <see cref="Steps"/> each sample goes on greedily for this many more steps, reported as <see cref="GeneratedSample.Rollout"/> and scored after the sample. 0: none.</summary>
    public int RolloutSteps { get; init; }

    public SamplingSettings Sampling { get; init; } = new();

    /// <summary>When set, the Generator applies budget forcing (the model must name an end-of-thinking marker).</summary>
    public BudgetForcingSettings? BudgetForcing { get; init; }

    /// <summary>When set, each sample ends early once its window confidence falls below the threshold (finish reason "confidence").</summary>
    public ConfidenceStop? ConfidenceStop { get; init; }

    /// <summary>When set, the samples go to the Verifier to be scored before the reply reaches the Aggregator.</summary>
    public ScoreAfterGeneration? ThenScore { get; init; }
}
