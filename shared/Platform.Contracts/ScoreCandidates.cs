namespace Platform.Contracts;

/// <summary>Command sent to the Verifier: score every step of every candidate with the PRM.</summary>
public record ScoreCandidates : IRoundRequest
{
    public Guid RequestId { get; init; }
    public Guid RunId { get; init; }
    public int Round { get; init; }
    public string Kind { get; init; } = "score";
    public string Model { get; init; } = "";
    public string Problem { get; init; } = "";
    public IReadOnlyList<CandidateToScore> Candidates { get; init; } = [];

    /// <summary>What ends a step in the candidates (the generator's recipe), so that the verifier scores the steps the generator wrote; null: the verifier's own delimiter.</summary>
    public string? StepDelimiter { get; init; }

    /// <summary>The generation these candidates come from, when the Generator sent them here itself (<see cref="GenerateCandidates.ThenScore"/>); passed back with the scores.</summary>
    public CandidatesGenerated? Generated { get; init; }
}
