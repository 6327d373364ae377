namespace Platform.Inference.Runtime;

/// <summary>How to pick each next token.</summary>
public sealed record SamplingOptions
{
    /// <summary>0 means greedy (argmax, ties to the lowest id).</summary>
    public double Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p; 1 keeps all.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Same seed (and sample index) gives the same tokens.</summary>
    public ulong Seed { get; init; }

    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Report each token's log-probability and its confidence from the k most likely tokens; 0: none.</summary>
    public int TopLogProbs { get; init; }

    public void Validate()
    {
        if (TopLogProbs is < 0 or > Platform.Reasoning.Confidence.ConfidenceSettings.MaxTopK)
        {
            throw new ArgumentException($"top log-probabilities must be within 0..{Platform.Reasoning.Confidence.ConfidenceSettings.MaxTopK} (was {TopLogProbs})");
        }

        if (Temperature < 0 || double.IsNaN(Temperature))
        {
            throw new ArgumentException($"temperature must be >= 0 (was {Temperature})");
        }

        if (TopK < 0)
        {
            throw new ArgumentException($"top-k must be >= 0 (was {TopK})");
        }

        if (TopP is <= 0 or > 1)
        {
            throw new ArgumentException($"top-p must be in (0, 1] (was {TopP})");
        }

        if (MaxNewTokens < 1)
        {
            throw new ArgumentException($"max new tokens must be >= 1 (was {MaxNewTokens})");
        }
    }
}

/// <summary>SplitMix64: a tiny generator with a fixed algorithm, so seeded samples repeat on every platform.</summary>
public struct SampleRandom(ulong seed)
{
    private ulong _state = seed;

    public static SampleRandom For(ulong seed, int sampleIndex) => new(Mix(seed ^ Mix((ulong)sampleIndex + 0x632BE59BD9B4E019UL)));

    public double NextDouble()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return (Mix(_state) >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

public static class Sampler
{
    /// <summary>Picks a token from one row of logits. <paramref name="scratch"/> must hold the vocabulary.</summary>
    public static int Next(ReadOnlySpan<float> logits, SamplingOptions options, ref SampleRandom random, Span<float> scratch)
    {
        if (options.Temperature <= 0)
        {
            return ArgMax(logits);
        }

        var max = logits[ArgMax(logits)];
        var inverse = 1.0 / options.Temperature;
        var probabilities = scratch[..logits.Length];
        for (var i = 0; i < logits.Length; i++)
        {
            probabilities[i] = (float)Math.Exp((logits[i] - max) * inverse);
        }

        if (options.TopK > 0 && options.TopK < logits.Length)
        {
            KeepTopK(probabilities, options.TopK);
        }

        if (options.TopP < 1.0)
        {
            KeepTopP(probabilities, options.TopP);
        }

        double total = 0;
        foreach (var p in probabilities)
        {
            total += p;
        }

        var target = random.NextDouble() * total;
        double running = 0;
        var last = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] <= 0)
            {
                continue;
            }

            last = i;
            running += probabilities[i];
            if (running > target)
            {
                return i;
            }
        }

        return last;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Token ids from most to least likely; ties go to the lower id.</summary>
    private static int[] Ranked(ReadOnlySpan<float> probabilities)
    {
        var values = probabilities.ToArray();
        var order = new int[values.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => values[b] != values[a] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        return order;
    }

    private static void KeepTopK(Span<float> probabilities, int k)
    {
        var order = Ranked(probabilities);
        for (var r = k; r < order.Length; r++)
        {
            probabilities[order[r]] = 0;
        }
    }

    private static void KeepTopP(Span<float> probabilities, double p)
    {
        var order = Ranked(probabilities);
        double total = 0;
        foreach (var v in probabilities)
        {
            total += v;
        }

        double running = 0;
        var r = 0;
        for (; r < order.Length; r++)
        {
            running += probabilities[order[r]];
            if (running >= p * total)
            {
                r++;
                break;
            }
        }

        for (; r < order.Length; r++)
        {
            probabilities[order[r]] = 0;
        }
    }
}
