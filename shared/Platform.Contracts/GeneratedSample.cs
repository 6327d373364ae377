namespace Platform.Contracts;

/// <summary>One continuation produced by the Generator.</summary>
public record GeneratedSample
{
    /// <summary>The <see cref="GenerationPrefix.Key"/> this continues.</summary>
    public string PrefixKey { get; init; } = "";
    public int SampleIndex { get; init; }

    /// <summary>The newly generated text only (not the prefix).</summary>
    public string Text { get; init; } = "";

    /// <summary>Tokens of <see cref="Text"/> (a rollout's are counted in the request's usage, not here).</summary>
    public int TokenCount { get; init; }

    /// <summary>What the greedy rollout of a lookahead step wrote after <see cref="Text"/> (<see cref="GenerateCandidates.RolloutSteps"/>); null without one, or when the sample itself ended the solution.</summary>
    public string? Rollout { get; init; }

    /// <summary>"eos" (end of answer), "step" (step delimiter reached), "length" (token cap), "context" (a search prefix that had reached the model's context: nothing generated), "confidence" (stopped below the confidence threshold).</summary>
    public string FinishReason { get; init; } = "";

    /// <summary>
    /// Per generated token, its sampled log-probability and its confidence (negative mean of the top-k log-probabilities),
    /// each an IEEE half, 4 bytes a token (Platform.Reasoning's TokenLogProbs); null when none were asked for.
    /// </summary>
    public byte[]? LogProbs { get; init; }
}
