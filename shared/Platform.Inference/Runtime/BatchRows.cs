using System.Text;

namespace Platform.Inference.Runtime;

/// <summary>A request admitted to a batch: its prompt, its finished rows, and the compute it has used.</summary>
internal sealed class Entry(GenerationRequest request, int[] prompt, Action<GenerationResult> done)
{
    public readonly GenerationRequest Request = request;
    public readonly int[] Prompt = prompt;
    public readonly Action<GenerationResult> Done = done;
    public readonly List<Row> Finished = [];
    public int Remaining = request.Samples;

    /// <summary>Prompt tokens this entry took from another entry's shared-prefix cache.</summary>
    public int CachedShared;
    public double Flops;
    public double WallMilliseconds;
}

/// <summary>A sample being generated: one row of the batch.</summary>
internal sealed class Row(Entry entry, int sample, int promptLength, SampleRandom random)
{
    public readonly Entry Entry = entry;
    public readonly int Sample = sample;
    public readonly int PromptLength = promptLength;
    public SampleRandom Random = random;
    public readonly List<int> Tokens = [];
    public readonly StringBuilder Text = new();

    /// <summary>The length of <see cref="Text"/> after each token (to take tokens back) and where its decoding stands.</summary>
    public readonly List<int> TextEnds = [];
    public Tokenization.TextCursor Cursor;
    public string? Finish;
    public int Stops;

    /// <summary>Lookahead: where the greedy rollout begins in <see cref="Tokens"/> and in <see cref="Text"/> (-1: not rolling out; a rolling row's sample ended at a stop string).</summary>
    public int RolloutToken = -1;
    public int RolloutText;

    /// <summary>Lookahead: the row writing the rollout this row takes (<see cref="SharedRollouts"/>), or this row's own starting point while it writes one; the requests waiting for this row's rollout.</summary>
    public Row? Leader;
    public int[]? RolloutKey;
    public List<Entry>? Dependents;

    /// <summary>Finished and handed to its entry; the row may still sit in the batch until the next compaction.</summary>
    public bool Reported;

    /// <summary>Position of the next token fed to the model.</summary>
    public int Position = promptLength;

    // budget forcing
    public readonly Queue<int> Forced = new();
    public bool Thinking = true;
    public int ThinkingTokens;
    public int Waits;
    public int Suppressed;

    /// <summary>Already-fed positions to hide from attention at the next step (a taken-back marker).</summary>
    public int MaskBack;

    // Per token (when the request asks for log-probabilities): the chosen token's log-probability and the token's confidence.
    public readonly List<float> LogProbs = [];
    public readonly List<float> Confidences = [];

    /// <summary>DeepConf online: the mean confidence of the row's last window of tokens (null without a confidence stop).</summary>
    public Platform.Reasoning.Confidence.WindowConfidence? Window;
}
