namespace Platform.Reasoning.Confidence;

/// <summary>
/// The confidences DeepConf (Fu et al. 2025) reads from a trace's token log-probabilities. A token's
/// confidence is the negative mean log-probability of the model's k most likely tokens at that position
/// (high when the distribution is peaked); a group's is the mean over a sliding window of tokens.
/// <see cref="Mean"/> is the whole trace's mean token confidence, <see cref="LowestGroup"/> the lowest
/// group confidence, <see cref="Bottom10"/> the mean of the lowest tenth of the groups, and
/// <see cref="Tail"/> the mean over the trace's last tokens. A trace shorter than the window is one group.
/// </summary>
public sealed record TraceConfidence(double Mean, double LowestGroup, double Bottom10, double Tail)
{
    /// <summary>DeepConf's group window and tail length (tokens).</summary>
    public const int DefaultWindow = 2048;

    /// <summary>DeepConf's k: the top log-probabilities each token's confidence is read from.</summary>
    public const int DefaultTopK = 20;

    /// <summary>A trace's confidences from its tokens' confidences; null for a trace with no tokens.</summary>
    public static TraceConfidence? Of(IReadOnlyList<float> tokens, int window = DefaultWindow, int tail = DefaultWindow)
    {
        if (window < 1 || tail < 1)
        {
            throw new ArgumentException($"the confidence window and tail must be at least 1 token (window {window}, tail {tail})");
        }

        if (tokens.Count == 0)
        {
            return null;
        }

        var groups = Groups(tokens, window);
        var sorted = groups.Order().ToList();
        var lowest = Math.Max(1, (int)Math.Ceiling(sorted.Count * 0.1));
        var from = Math.Max(0, tokens.Count - tail);
        return new TraceConfidence(
            tokens.Average(t => (double)t), sorted[0], sorted.Take(lowest).Average(),
            tokens.Skip(from).Average(t => (double)t));
    }

    /// <summary>The confidence of each sliding window of <paramref name="window"/> tokens (stride 1; one group when the trace is shorter).</summary>
    public static List<double> Groups(IReadOnlyList<float> tokens, int window)
    {
        var size = Math.Min(window, tokens.Count);
        var groups = new List<double>(tokens.Count - size + 1);
        var monitor = new WindowConfidence(size);
        foreach (var t in tokens)
        {
            if (monitor.Add(t) is { } group)
            {
                groups.Add(group);
            }
        }

        return groups;
    }

    /// <summary>The confidence a measure reads from this trace.</summary>
    public double By(ConfidenceMeasure measure) => measure switch
    {
        ConfidenceMeasure.Mean => Mean,
        ConfidenceMeasure.LowestGroup => LowestGroup,
        ConfidenceMeasure.Bottom10 => Bottom10,
        _ => Tail,
    };

    /// <summary>The confidence of one token: the negative mean of its top-k log-probabilities.</summary>
    public static float Token(ReadOnlySpan<float> topLogProbs)
    {
        if (topLogProbs.Length == 0)
        {
            return 0;
        }

        double sum = 0;
        foreach (var l in topLogProbs)
        {
            sum += l;
        }

        return (float)(-sum / topLogProbs.Length);
    }
}

/// <summary>Which of a trace's confidences ranks it.</summary>
public enum ConfidenceMeasure
{
    Mean,
    LowestGroup,
    Bottom10,
    Tail,
}

public static class ConfidenceMeasures
{
    public static readonly IReadOnlyList<string> Names = ["mean", "lowest-group", "bottom-10", "tail"];

    public static string Name(ConfidenceMeasure m) => Names[(int)m];

    public static ConfidenceMeasure Parse(string? name) => name switch
    {
        null or "" => ConfidenceMeasure.LowestGroup,
        _ when Names.Contains(name) => (ConfidenceMeasure)Names.ToList().IndexOf(name),
        _ => throw new ArgumentException($"unknown confidence measure '{name}' (known: {string.Join(", ", Names)})"),
    };
}

/// <summary>
/// The mean confidence of the last <c>window</c> tokens, kept as tokens arrive (O(1) each): what DeepConf
/// online compares with its threshold after every token, and what <see cref="TraceConfidence.Groups"/> reads.
/// </summary>
public sealed class WindowConfidence(int window)
{
    private readonly Queue<float> _last = new();
    private double _sum;

    /// <summary>Adds a token's confidence; the window's mean once it holds <c>window</c> tokens, else null.</summary>
    public double? Add(float token)
    {
        _last.Enqueue(token);
        _sum += token;
        if (_last.Count > window)
        {
            _sum -= _last.Dequeue();
        }

        return _last.Count == window ? _sum / window : null;
    }
}
