namespace Platform.Contracts;

/// <summary>The PRM's score of each step of one candidate, in [0, 1].</summary>
public record CandidateScores
{
    public string Key { get; init; } = "";
    public IReadOnlyList<double> StepScores { get; init; } = [];

    /// <summary>Why this candidate has no scores (e.g. longer than the verifier's context); its run goes on, the candidate ranks lowest.</summary>
    public string? Error { get; init; }
}
