namespace Platform.Contracts;

/// <summary>One problem of a submitted batch, as the user brought it.</summary>
public record ProblemSubmission
{
    /// <summary>The problem statement shown to the generator.</summary>
    public string Text { get; init; } = "";

    /// <summary>The reference answer used for grading; null when the problem is ungraded.</summary>
    public string? ReferenceAnswer { get; init; }

    /// <summary>A human difficulty label from the source data set ("3", "Level 2"), if any.</summary>
    public string? Level { get; init; }

    public string? Subject { get; init; }

    /// <summary>The source's own identifier (MATH-500 unique_id, a line number).</summary>
    public string? ExternalId { get; init; }

    /// <summary>
    /// A known difficulty bin, 1 (easiest) to 5 (oracle difficulty: quantiles of the generator's pass@1 over
    /// many samples). compute-optimal then runs the policy's step for this bin and draws no probes.
    /// </summary>
    public int? DifficultyBin { get; init; }

    /// <summary>
    /// The problem is a chat (the OpenAI-compatible API): these turns come before <see cref="Text"/>, the last user
    /// turn, and the generator renders them all with its chat template instead of its recipe's user turn (empty:
    /// the text is the only turn). Null: a batch problem, through the recipe.
    /// </summary>
    public IReadOnlyList<ChatTurn>? Conversation { get; init; }

    /// <summary>The generator reads <see cref="Text"/> verbatim, without its recipe or chat template (<c>/v1/completions</c>).</summary>
    public bool? RawPrompt { get; init; }
}
