using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

[Collection(ShippedModelsCollection.Name)]
public sealed class PrmScorerTests(ShippedModels models)
{
    [Fact]
    public void Every_step_gets_a_finite_score_in_zero_one()
    {
        var problems = new ArithmeticGenerator(new ArithmeticSpec(), 99).Generate(12).ToList();
        var samples = models.Generator.Generate(problems.Select(p => new GenerationRequest
        {
            Prompt = ArithmeticFormat.Prompt(p.Problem), Samples = 4, Sampling = new SamplingOptions { Temperature = 1.0, Seed = 5 },
        }).ToList());
        var requests = problems.SelectMany((p, i) => samples[i].Samples.Select(s => new ScoreRequest(ArithmeticFormat.Prompt(p.Problem), s.Text))
            .Append(new ScoreRequest(ArithmeticFormat.Prompt(p.Problem), p.Solution))).ToList();
        var scored = models.Verifier.Score(requests);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Null(scored[i].Error);
            Assert.Equal(ArithmeticFormat.SplitSteps(requests[i].Solution).Count, scored[i].Scores.Count);
            Assert.All(scored[i].Scores, s => Assert.True(double.IsFinite(s) && s is >= 0 and <= 1, $"score {s}"));
            Assert.True(scored[i].Usage.ScoredTokens > 0 && scored[i].Usage.Flops > 0);
        }
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_and_partial_solutions_score_their_last_step()
    {
        var prompt = ArithmeticFormat.Prompt("(37+48)*3-19");
        var alone = models.Verifier.Score([new ScoreRequest(prompt, "37+48=85\n85*3=255\n")])[0];
        var batched = models.Verifier.Score([new ScoreRequest(prompt, "37+48=85\n85*3=255\n255-19=236\nA: 236\n"), new ScoreRequest(prompt, "37+48=85\n85*3=255\n")])[1];
        Assert.Equal(2, alone.Scores.Count);
        Assert.Equal(alone.Scores[0], batched.Scores[0], 5);
        Assert.Equal(alone.Scores[1], batched.Scores[1], 5);

        var unfinished = models.Verifier.Score([new ScoreRequest(prompt, "37+48=85\n85*3")])[0];
        Assert.Equal(2, unfinished.Scores.Count);
        Assert.Equal(alone.Scores[0], unfinished.Scores[0], 5);
    }
}
