namespace Platform.Contracts;

/// <summary>
/// What the two request messages of a run's round share (<see cref="GenerateCandidates"/> to a Generator,
/// <see cref="ScoreCandidates"/> to a Verifier): the Aggregator builds, stores and sends a round's request
/// as this type, never as an untyped object. Not a message itself: each is sent as its own record.
/// </summary>
public interface IRoundRequest
{
    Guid RequestId { get; }
    Guid RunId { get; }
    int Round { get; }
    string Kind { get; }
}
