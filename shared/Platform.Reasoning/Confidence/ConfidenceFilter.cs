namespace Platform.Reasoning.Confidence;

/// <summary>
/// DeepConf's use of trace confidence: keep the most confident η percent of the traces and vote with
/// confidence as the weight (offline), or set a stopping threshold from warm-up traces (online).
/// </summary>
public static class ConfidenceFilter
{
    /// <summary>
    /// Which traces are kept: the <paramref name="keepPercent"/> percent with the highest confidence (at
    /// least one; traces without a confidence never). Ties at the cut are kept together.
    /// </summary>
    public static bool[] Kept(IReadOnlyList<double?> confidences, double keepPercent)
    {
        Check(keepPercent);
        var known = confidences.Where(c => c is not null).Select(c => c!.Value).OrderDescending().ToList();
        var kept = new bool[confidences.Count];
        if (known.Count == 0)
        {
            return kept;
        }

        var count = Math.Clamp((int)Math.Ceiling(known.Count * keepPercent / 100.0), 1, known.Count);
        var cut = known[count - 1];
        for (var i = 0; i < confidences.Count; i++)
        {
            kept[i] = confidences[i] is { } c && c >= cut;
        }

        return kept;
    }

    /// <summary>
    /// DeepConf online's threshold: the confidence the warm-up traces' top <paramref name="keepPercent"/>
    /// percent reach — the (100 − η)th percentile of <paramref name="warmup"/> (nearest rank). A later
    /// trace whose window confidence falls below it is stopped.
    /// </summary>
    public static double Threshold(IReadOnlyList<double> warmup, double keepPercent)
    {
        Check(keepPercent);
        if (warmup.Count == 0)
        {
            throw new ArgumentException("the online threshold needs at least one warm-up trace");
        }

        var sorted = warmup.OrderDescending().ToList();
        var count = Math.Clamp((int)Math.Ceiling(sorted.Count * keepPercent / 100.0), 1, sorted.Count);
        return sorted[count - 1];
    }

    private static void Check(double keepPercent)
    {
        if (keepPercent is <= 0 or > 100 || double.IsNaN(keepPercent))
        {
            throw new ArgumentException($"the confidence keep percentage must be within (0, 100] (was {keepPercent})");
        }
    }
}

/// <summary>
/// A trace's per-token log-probabilities, stored compactly: for every token its sampled log-probability
/// and its confidence (<see cref="TraceConfidence.Token"/>), each as an IEEE half (4 bytes a token).
/// </summary>
public static class TokenLogProbs
{
    public static byte[] Pack(IReadOnlyList<float> logProbs, IReadOnlyList<float> confidences)
    {
        if (logProbs.Count != confidences.Count)
        {
            throw new ArgumentException($"{logProbs.Count} log-probabilities but {confidences.Count} confidences");
        }

        var bytes = new byte[logProbs.Count * 4];
        for (var i = 0; i < logProbs.Count; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (Half)logProbs[i]);
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4 + 2), (Half)confidences[i]);
        }

        return bytes;
    }

    public static (float[] LogProbs, float[] Confidences) Unpack(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0)
        {
            throw new ArgumentException($"packed log-probabilities take 4 bytes a token ({bytes.Length} bytes)");
        }

        var n = bytes.Length / 4;
        var (logProbs, confidences) = (new float[n], new float[n]);
        for (var i = 0; i < n; i++)
        {
            logProbs[i] = (float)BitConverter.ToHalf(bytes.Slice(i * 4, 2));
            confidences[i] = (float)BitConverter.ToHalf(bytes.Slice(i * 4 + 2, 2));
        }

        return (logProbs, confidences);
    }
}
