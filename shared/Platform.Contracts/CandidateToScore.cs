namespace Platform.Contracts;

/// <summary>A (partial) solution for the PRM to score step by step.</summary>
public record CandidateToScore
{
    public string Key { get; init; } = "";

    /// <summary>The solution text after the prompt, steps separated by the model's step delimiter.</summary>
    public string Text { get; init; } = "";
}
