namespace Platform.Reasoning.Policy;

/// <summary>
/// Difficulty as Snell et al. define it: five quantile bins of the generator's own pass@1 on each
/// problem (bin 1 easiest). The oracle bins come from many samples per problem (a sweep); predicted
/// bins map a cheap signal (the verifier's mean final score over a few probe samples) onto the same
/// bins with thresholds fitted on calibration problems.
/// </summary>
public static class DifficultyBins
{
    public const int Count = 5;

    /// <summary>
    /// Lower bounds of bins 1..4 on a score where higher means easier (pass@1, or a probe score): a
    /// value at or above <c>bounds[0]</c> is bin 1, below <c>bounds[3]</c> is bin 5. The bounds are
    /// the 80th, 60th, 40th and 20th percentiles of <paramref name="values"/>, so each bin holds a
    /// fifth of the problems (ties stay together: equal values always share a bin).
    /// </summary>
    public static double[] QuantileBounds(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("at least one value is needed to fit bins", nameof(values));
        }

        var sorted = values.OrderBy(v => v).ToArray();
        var bounds = new double[Count - 1];
        for (var i = 0; i < bounds.Length; i++)
        {
            var q = (double)(Count - 1 - i) / Count; // 0.8, 0.6, 0.4, 0.2
            bounds[i] = Quantile(sorted, q);
        }

        return bounds;
    }

    /// <summary>The bin (1..5) of <paramref name="value"/> under <paramref name="bounds"/> from <see cref="QuantileBounds"/>.</summary>
    public static int Assign(double value, IReadOnlyList<double> bounds)
    {
        if (bounds.Count != Count - 1)
        {
            throw new ArgumentException($"bins need {Count - 1} bounds (was {bounds.Count})", nameof(bounds));
        }

        for (var i = 0; i < bounds.Count; i++)
        {
            if (value >= bounds[i])
            {
                return i + 1;
            }
        }

        return Count;
    }

    /// <summary>Oracle bins of problems from their pass@1 (each in [0, 1]).</summary>
    public static int[] Oracle(IReadOnlyList<double> passAt1)
    {
        foreach (var p in passAt1)
        {
            if (p is < 0 or > 1 || double.IsNaN(p))
            {
                throw new ArgumentOutOfRangeException(nameof(passAt1), $"pass@1 must be in [0, 1] (was {p})");
            }
        }

        var bounds = QuantileBounds(passAt1);
        return [.. passAt1.Select(p => Assign(p, bounds))];
    }

    /// <summary>
    /// Thresholds that map a predictor score (higher = easier) to bins so that the calibration problems
    /// fall into the bins in the same proportions as their oracle bins: the predictor is asked to rank
    /// problems, not to be calibrated. Returns the lower bounds of bins 1..4 on the predictor score.
    /// </summary>
    public static double[] FitPredictor(IReadOnlyList<double> scores, IReadOnlyList<int> oracleBins)
    {
        if (scores.Count != oracleBins.Count || scores.Count == 0)
        {
            throw new ArgumentException($"scores ({scores.Count}) and oracle bins ({oracleBins.Count}) must pair up, at least one of each");
        }

        var sorted = scores.OrderByDescending(s => s).ToArray();
        var bounds = new double[Count - 1];
        var cumulative = 0;
        for (var bin = 1; bin < Count; bin++)
        {
            cumulative += oracleBins.Count(b => b == bin);
            // The cumulative-th highest score is the lowest that still belongs to bins 1..bin.
            bounds[bin - 1] = cumulative == 0 ? double.PositiveInfinity : sorted[Math.Min(cumulative, sorted.Length) - 1];
        }

        return bounds;
    }

    /// <summary>How often predicted bins equal the oracle bins, and how often they are within one.</summary>
    public static (double Exact, double WithinOne) Agreement(IReadOnlyList<int> predicted, IReadOnlyList<int> oracle)
    {
        if (predicted.Count != oracle.Count || predicted.Count == 0)
        {
            throw new ArgumentException($"predicted ({predicted.Count}) and oracle ({oracle.Count}) bins must pair up, at least one of each");
        }

        var exact = predicted.Zip(oracle).Count(p => p.First == p.Second);
        var near = predicted.Zip(oracle).Count(p => Math.Abs(p.First - p.Second) <= 1);
        return ((double)exact / predicted.Count, (double)near / predicted.Count);
    }

    /// <summary>Linear-interpolated quantile q of ascending <paramref name="sorted"/>.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}

/// <summary>Where a run's difficulty bin came from (stored with the run).</summary>
public static class DifficultySources
{
    /// <summary>Problem features, before any sample (the fallback).</summary>
    public const string Heuristic = "heuristic";

    /// <summary>The verifier's mean score over the probe samples, mapped by a fitted policy's bounds.</summary>
    public const string Predicted = "predicted";

    /// <summary>Quantiles of the generator's pass@1 over many samples (sweeps, and problems submitted with a known bin).</summary>
    public const string Oracle = "oracle";
}
