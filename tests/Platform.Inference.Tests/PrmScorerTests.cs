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
        var requests = problems.SelectMany((p, i) => samples[i].Samples.Select(s => new ScoreRequest(p.Problem, s.Text))
            .Append(new ScoreRequest(p.Problem, p.Solution))).ToList();
        var scored = models.Verifier.Score(requests);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Null(scored[i].Error);
            Assert.Equal(ArithmeticFormat.SplitSteps(requests[i].Solution).Count, scored[i].Scores.Count);
            Assert.All(scored[i].Scores, s => Assert.True(double.IsFinite(s) && s is >= 0 and <= 1, $"score {s}"));
            // A solution read whole before (a duplicate sample, in an earlier chunk of the call) costs nothing.
            Assert.True(scored[i].Usage.ScoredTokens > 0 && (scored[i].Usage.Flops > 0 || scored[i].Usage.CachedScoredTokens == scored[i].Usage.ScoredTokens));
        }
    }

    [Fact]
    public void Identical_solutions_in_one_call_are_scored_once_and_each_gets_the_scores()
    {
        var right = new ScoreRequest("(37+48)*3-19", "37+48=85\n85*3=255\n");
        var wrong = new ScoreRequest("(37+48)*3-19", "37+48=85\n85*3=256\n");
        var once = models.Verifier.Score([right, wrong]);
        var repeated = models.Verifier.Score([right, wrong, right, right, wrong]);
        Assert.Equal(once.Select(s => s.Scores), repeated.Take(2).Select(s => s.Scores));
        Assert.Equal([once[0].Scores, once[0].Scores, once[1].Scores], repeated.Skip(2).Select(s => s.Scores));
        Assert.Equal(once.Sum(s => s.Usage.Flops), repeated.Sum(s => s.Usage.Flops)); // the repeats computed nothing
        Assert.All(repeated.Skip(2), s => Assert.Equal((0.0, 0.0, s.Usage.ScoredTokens), (s.Usage.Flops, s.Usage.DeviceMilliseconds, s.Usage.CachedScoredTokens)));
        Assert.Equal(once[0].Usage.ScoredTokens, repeated[2].Usage.ScoredTokens);
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_and_partial_solutions_score_their_last_step()
    {
        var prompt = "(37+48)*3-19";
        var alone = models.Verifier.Score([new ScoreRequest(prompt, "37+48=85\n85*3=255\n")])[0];
        var batched = models.Verifier.Score([new ScoreRequest(prompt, "37+48=85\n85*3=255\n255-19=236\nA: 236\n"), new ScoreRequest(prompt, "37+48=85\n85*3=255\n")])[1];
        Assert.Equal(2, alone.Scores.Count);
        Assert.Equal(alone.Scores[0], batched.Scores[0], 5);
        Assert.Equal(alone.Scores[1], batched.Scores[1], 5);

        var unfinished = models.Verifier.Score([new ScoreRequest(prompt, "37+48=85\n85*3")])[0];
        Assert.Equal(2, unfinished.Scores.Count);
        Assert.Equal(alone.Scores[0], unfinished.Scores[0], 5);
    }

    [Fact]
    public void Solutions_of_one_prompt_share_its_pass_and_score_as_they_would_alone()
    {
        // Three prompts, several solutions each (some wrong, some unfinished), in one call: each prompt is
        // run once and its solutions on its cache; every score equals the solution's score alone.
        var requests = new[] { "(37+48)*3-19", "5-3", "715-(511+11)+409" }.SelectMany(p => new[]
        {
            new ScoreRequest(p, "37+48=85\n85*3=255\n"),
            new ScoreRequest(p, "5-3=2\nA: 2\n"),
            new ScoreRequest(p, "511+11=522\n715-522=193\n193+409=602\nA: 602\n"),
            new ScoreRequest(p, "1+1"),
        }).ToList();
        var together = models.Verifier.Score(requests);
        var alone = requests.Select(r => models.Verifier.Score([r])[0]).ToList();
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(alone[i].Scores.Count, together[i].Scores.Count);
            for (var s = 0; s < alone[i].Scores.Count; s++)
            {
                Assert.Equal(alone[i].Scores[s], together[i].Scores[s], 5);
            }

            Assert.Equal(alone[i].Usage.ScoredTokens, together[i].Usage.ScoredTokens);
        }

        // Each prompt's FLOPs are paid once: three prompts' worth less than twelve.
        Assert.True(together.Sum(r => r.Usage.Flops) < 0.9 * alone.Sum(r => r.Usage.Flops), $"{together.Sum(r => r.Usage.Flops):E3} against {alone.Sum(r => r.Usage.Flops):E3}");
    }

    [Fact]
    public void A_large_mixed_call_is_cut_into_passes_by_length_and_scores_as_each_solution_alone()
    {
        // 6 prompts x 12 solutions of 5 to 60 characters: sorted by length and cut into several passes
        // that pad little, some with solutions of one prompt sharing its pass, some without.
        var solution = "511+11=522\n715-522=193\n193+409=602\n602-1=601\n601+2=603\nA: 603\n";
        var requests = new[] { "(37+48)*3-19", "5-3", "715-(511+11)+409", "12*12", "(9-4)*(3+3)", "100-1" }
            .SelectMany((p, k) => Enumerable.Range(0, 12).Select(j => new ScoreRequest(p, solution[..(5 + (j * 5 + k * 3) % 56)])))
            .ToList();
        var together = models.Verifier.Score(requests);
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = models.Verifier.Score([requests[i]])[0];
            Assert.Null(together[i].Error);
            Assert.Equal(alone.Scores.Count, together[i].Scores.Count);
            for (var s = 0; s < alone.Scores.Count; s++)
            {
                Assert.Equal(alone.Scores[s], together[i].Scores[s], 5);
            }
        }
    }

    [Theory]
    [InlineData("255", "254")]
    [InlineData("255", "265")]
    [InlineData("255", "245")]
    public void The_PRM_scores_a_right_solution_above_the_same_solution_with_one_wrong_step_and_locates_the_step(string right, string wrong)
    {
        var prompt = "(37+48)*3-19";
        var scores = models.Verifier.Score([new ScoreRequest(prompt, Solution(right)), new ScoreRequest(prompt, Solution(wrong))]);
        Assert.All(scores, s => Assert.Equal(4, s.Scores.Count));
        Assert.True(scores[0].Scores[^1] > scores[1].Scores[^1], $"right {scores[0].Scores[^1]:F3}, wrong {scores[1].Scores[^1]:F3}");
        Assert.Equal(scores[0].Scores[0], scores[1].Scores[0], 5); // the first step is the same
        Assert.True(scores[1].Scores[1] < 0.5 * scores[0].Scores[1], $"wrong step scored {scores[1].Scores[1]:F3} against {scores[0].Scores[1]:F3}");
    }

    [Fact]
    public void The_ORM_gives_one_probability_per_step_whatever_the_batch()
    {
        var prompt = "(37+48)*3-19";
        var alone = models.Outcome.Score([new ScoreRequest(prompt, Solution("255"))])[0];
        var batched = models.Outcome.Score([new ScoreRequest(prompt, "37+48=85\n"), new ScoreRequest(prompt, Solution("255"))])[1];
        Assert.Equal(4, alone.Scores.Count);
        Assert.All(alone.Scores, s => Assert.InRange(s, 0, 1));
        Assert.Equal(alone.Scores, batched.Scores, (x, y) => Math.Abs(x - y) < 1e-5);
        Assert.True(alone.Usage.ScoredTokens > 0 && alone.Usage.Flops > 0);
    }

    private static string Solution(string product) =>
        $"37+48=85\n85*3={product}\n{product}-19={int.Parse(product) - 19}\nA: {int.Parse(product) - 19}\n";
}
