namespace Platform.Contracts;

/// <summary>Sampling parameters of one generation request.</summary>
public record SamplingSettings
{
    /// <summary>0 means greedy (argmax).</summary>
    public double Temperature { get; init; }
    public int TopK { get; init; }
    public double TopP { get; init; } = 1.0;
    public int Seed { get; init; }
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>The k most likely tokens whose log-probabilities give each token's confidence (0: no log-probabilities reported).</summary>
    public int TopLogProbs { get; init; }
}
