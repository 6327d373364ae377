namespace Platform.Contracts;

/// <summary>Exact compute of one request (or a sum of requests).</summary>
public record ComputeUsage
{
    /// <summary>Prompt tokens computed.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Prompt tokens served from a shared KV cache rather than computed again (not in PromptTokens).</summary>
    public long CachedPromptTokens { get; init; }

    public long GeneratedTokens { get; init; }
    public long ScoredTokens { get; init; }

    /// <summary>Scored tokens whose verifier pass was read from the verifier's prefix cache rather than computed again (counted in ScoredTokens too).</summary>
    public long CachedScoredTokens { get; init; }

    /// <summary>Forward-pass floating point operations (2 · parameters · tokens plus attention).</summary>
    public double Flops { get; init; }

    public double DeviceMilliseconds { get; init; }
    public string Model { get; init; } = "";
}
