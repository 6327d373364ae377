namespace Platform.Contracts;

/// <summary>The PRM's score of each step of one candidate, in [0, 1].</summary>
public record CandidateScores
{
    public string Key { get; init; } = "";
    public IReadOnlyList<double> StepScores { get; init; } = [];
}
