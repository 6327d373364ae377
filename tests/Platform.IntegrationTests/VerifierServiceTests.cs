using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Runtime;
using Platform.Verifier;

namespace Platform.IntegrationTests;

/// <summary>The Verifier's scoring service with the shipped PRM: what it does with candidates it cannot read.</summary>
public sealed class VerifierServiceTests
{
    [Fact]
    public async Task A_candidate_longer_than_the_verifier_context_is_left_unscored_and_the_others_are_scored()
    {
        using var catalog = new ModelCatalog(new ModelsOptions(), new InferenceOptions { IntraOpThreads = 1 });
        await using var service = new ScoringService(catalog, new VerifierOptions());
        var tooLong = string.Concat(Enumerable.Repeat("1+1=2\n", 30)) + "A: 2\n"; // a revision model may write this much; the PRM reads 128 tokens
        ScoreCandidates Request(params CandidateToScore[] candidates) => new()
        {
            RequestId = Guid.NewGuid(), RunId = Guid.NewGuid(), Kind = "score", Model = "prm", Problem = "1+1", Candidates = candidates,
        };

        var reply = await service.Score(Request(new CandidateToScore { Key = "a", Text = "1+1=2\nA: 2\n" }, new CandidateToScore { Key = "b", Text = tooLong }), CancellationToken.None);
        Assert.Null(reply.Error);
        Assert.Equal(2, reply.Scores[0].StepScores.Count);
        Assert.Null(reply.Scores[0].Error);
        Assert.Empty(reply.Scores[1].StepScores);
        Assert.Contains("the verifier's context is 128", reply.Scores[1].Error);
        Assert.True(reply.Usage.ScoredTokens > 0);

        // Nothing readable: the request fails, naming why.
        var none = await service.Score(Request(new CandidateToScore { Key = "b", Text = tooLong }), CancellationToken.None);
        Assert.Contains("the verifier's context is 128", none.Error);
    }
}
