using MassTransit;
using Platform.Contracts;

namespace Platform.Aggregator.Runs;

/// <summary>
/// A reply of the Generator (samples) or the Verifier (scores), with the context it arrived in. A generation
/// scored in passing is one reply: the generation's (its round is the one claimed) with the Verifier's as <see cref="Scoring"/>.
/// </summary>
public sealed record Reply(ConsumeContext Context, Guid RequestId, Guid RunId, int Round, string Kind, ComputeUsage Usage, string? Error,
    IReadOnlyList<GeneratedSample>? Samples = null, IReadOnlyList<CandidateScores>? Scores = null, Reply? Scoring = null, string? Worker = null)
{
    public string What => Samples is not null ? "generation" : "scoring";

    /// <summary>The round this reply ends: a generation scored in passing also takes the scoring's round, whether or not its controller took the scores.</summary>
    public int LastRound => Scoring?.Round ?? Round;

    /// <summary>The index of the round that follows this reply (the only place a next round index is computed).</summary>
    public int NextRound => LastRound + 1;

    /// <summary>The part that failed (the generation, or the scoring in passing), if any.</summary>
    public Reply? Failed => Error is not null ? this : Scoring?.Failed;

    public static Reply Of(ConsumeContext<CandidatesGenerated> c) =>
        new(c, c.Message.RequestId, c.Message.RunId, c.Message.Round, c.Message.Kind, c.Message.Usage, c.Message.Error, Samples: c.Message.Samples,
            Worker: c.Message.Worker);

    public static Reply Of(ConsumeContext<CandidatesScored> c)
    {
        var scored = new Reply(c, c.Message.RequestId, c.Message.RunId, c.Message.Round, c.Message.Kind, c.Message.Usage, c.Message.Error, Scores: c.Message.Scores,
            Worker: c.Message.Worker);
        return c.Message.Generated is { } g
            ? new(c, g.RequestId, g.RunId, g.Round, g.Kind, g.Usage, g.Error, Samples: g.Samples, Scoring: scored, Worker: g.Worker)
            : scored;
    }
}
