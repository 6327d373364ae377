using Platform.Contracts;

namespace Platform.Inference.Runtime;

/// <summary>One prompt to continue, N times.</summary>
public sealed record GenerationRequest
{
    /// <summary>The full prompt text (the model's template already applied, prefix included).</summary>
    public string Prompt { get; init; } = "";

    /// <summary>The prompt's token ids when the caller tokenized it (<c>ttc generate --raw</c> on a chat model); else <see cref="Prompt"/> is encoded as the model's recipe says.</summary>
    public IReadOnlyList<int>? PromptIds { get; init; }

    public int Samples { get; init; } = 1;
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Generation of a sample stops once its text contains one of these (kept in the text).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>How many stop strings a sample writes before it stops (k for a k-step continuation).</summary>
    public int StopAfter { get; init; } = 1;

    /// <summary>
    /// Lookahead search: once a sample has written its <see cref="StopAfter"/> stop strings it goes on in the same
    /// row, greedily (temperature 0, no log-probabilities), for this many more, or to its end; that text is the
    /// sample's <see cref="GeneratedSequence.Rollout"/>, with its own <see cref="SamplingOptions.MaxNewTokens"/>. 0: none.
    /// </summary>
    public int RolloutSteps { get; init; }

    /// <summary>
    /// The leading part of <see cref="Prompt"/> that other requests admitted with it share (a revision
    /// chain's problem prompt): requests with the same shared prefix have its KV cache computed once and
    /// copied, then only their own remainders are prefilled. Empty: nothing shared.
    /// </summary>
    public string SharedPrefix { get; init; } = "";

    /// <summary>
    /// Keep each finished sample's KV cache (prompt and generated tokens) in the session's prefix tree:
    /// set for a search step, whose next round's prompt extends the sample, so that round prefills only
    /// what is new. Prompts are always kept.
    /// </summary>
    public bool KeepSamples { get; init; }

    /// <summary>s1 budget forcing, when the model's manifest names an end-of-thinking marker.</summary>
    public BudgetForcing? BudgetForcing { get; init; }

    /// <summary>DeepConf online: end a sample once its last window of tokens' mean confidence is below the threshold (needs <see cref="SamplingOptions.TopLogProbs"/>).</summary>
    public ConfidenceThreshold? ConfidenceStop { get; init; }
}

/// <summary>A sample ends once the mean confidence of its last <paramref name="Window"/> tokens falls below <paramref name="Threshold"/>.</summary>
public sealed record ConfidenceThreshold(double Threshold, int Window);

/// <summary>
/// Budget forcing (Muennighoff et al., s1): while the sample is thinking (before it writes
/// <see cref="EndOfThinking"/>), an attempt to stop before <see cref="MinThinkingTokens"/> is undone
/// and <see cref="Continuation"/> appended instead, at most <see cref="MaxWaits"/> times; at
/// <see cref="MaxThinkingTokens"/> the marker and <see cref="AnswerPrefix"/> are forced.
/// </summary>
public sealed record BudgetForcing
{
    public string EndOfThinking { get; init; } = "";
    public int MinThinkingTokens { get; init; }
    public int MaxThinkingTokens { get; init; } = int.MaxValue;
    public int MaxWaits { get; init; } = 1;
    public string Continuation { get; init; } = "Wait";
    public string AnswerPrefix { get; init; } = "";
}

/// <param name="Suppressed">Tokens the model wrote that budget forcing took back (computed, not in the text).</param>
/// <param name="Waits">Times the continuation was appended.</param>
public sealed record GeneratedSequence(int[] Tokens, string Text, string FinishReason, int Suppressed = 0, int Waits = 0)
{
    /// <summary>Per token of <see cref="Tokens"/>, when the request asked for log-probabilities: the chosen token's (NaN for a forced one) and the token's confidence.</summary>
    public float[] LogProbs { get; init; } = [];

    public float[] Confidences { get; init; } = [];

    /// <summary>What the greedy rollout wrote after <see cref="Text"/> (<see cref="GenerationRequest.RolloutSteps"/>); empty without one.</summary>
    public string Rollout { get; init; } = "";

    /// <summary>How many of <see cref="Tokens"/> (the last ones) the rollout wrote.</summary>
    public int RolloutTokens { get; init; }
}

/// <summary>Adds up the compute of the requests one message answers.</summary>
public static class UsageSums
{
    /// <summary>The sum of <paramref name="usages"/>, as <paramref name="model"/>'s.</summary>
    public static ComputeUsage Total(this IEnumerable<ComputeUsage> usages, string model) =>
        usages.Aggregate(new ComputeUsage { Model = model }, (sum, u) => sum with
        {
            PromptTokens = sum.PromptTokens + u.PromptTokens, CachedPromptTokens = sum.CachedPromptTokens + u.CachedPromptTokens,
            GeneratedTokens = sum.GeneratedTokens + u.GeneratedTokens, ScoredTokens = sum.ScoredTokens + u.ScoredTokens,
            CachedScoredTokens = sum.CachedScoredTokens + u.CachedScoredTokens, Flops = sum.Flops + u.Flops, DeviceMilliseconds = sum.DeviceMilliseconds + u.DeviceMilliseconds,
        });
}

/// <param name="ContextFull">The request failed because its prompt already fills the model's context (nothing can be generated after it).</param>
public sealed record GenerationResult(IReadOnlyList<GeneratedSequence> Samples, ComputeUsage Usage, string? Error = null, bool ContextFull = false);

public static class FinishReasons
{
    public const string Eos = "eos";
    public const string Stop = "stop";
    public const string Length = "length";

    /// <summary>A search prefix that had reached the model's context: ended there, nothing generated.</summary>
    public const string Context = "context";

    /// <summary>Stopped because its window confidence fell below the request's threshold (DeepConf online).</summary>
    public const string Confidence = Platform.Reasoning.Controllers.SearchNode.StoppedForConfidence;
}
