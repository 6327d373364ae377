namespace Platform.Contracts;

/// <summary>s1 budget forcing: thinking length bounds and the continuation appended when the model stops too early.</summary>
public record BudgetForcingSettings
{
    public int MinThinkingTokens { get; init; }
    public int MaxThinkingTokens { get; init; } = 96;

    /// <summary>How many times an early stop may be turned into the continuation.</summary>
    public int MaxWaits { get; init; } = 1;

    public string Continuation { get; init; } = "Wait";
}
