namespace Platform.Router;

/// <summary>Bound from the <c>Router</c> section.</summary>
public sealed class RouterOptions
{
    public const string Section = "Router";

    /// <summary>Longest problem text accepted, in UTF-8 bytes; longer problems fail with this limit named.</summary>
    public int MaxProblemTextBytes { get; set; } = 8192;

    public int MaxProblemsPerBatch { get; set; } = 100_000;

    public string DefaultGenerator { get; set; } = "gen-small";
    public string DefaultVerifier { get; set; } = "prm";

    /// <summary>Tokens a sample may generate.</summary>
    public int MaxNewTokens { get; set; } = 128;
}
