namespace Platform.Contracts;

/// <summary>Exact compute of one request (or a sum of requests).</summary>
public record ComputeUsage
{
    public long PromptTokens { get; init; }

    /// <summary>Prompt tokens served from a shared KV cache rather than computed again.</summary>
    public long CachedPromptTokens { get; init; }

    public long GeneratedTokens { get; init; }
    public long ScoredTokens { get; init; }

    /// <summary>Forward-pass floating point operations (2 · parameters · tokens plus attention).</summary>
    public double Flops { get; init; }

    public double DeviceMilliseconds { get; init; }
    public string Model { get; init; } = "";
}
