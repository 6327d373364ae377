using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Inference.Tests;

/// <summary>
/// Lookahead search's rollouts written in the step's own row (<see cref="GenerationRequest.RolloutSteps"/>): the
/// step is sampled as without one, and the rollout is what a greedy continuation of the step writes.
/// </summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class LookaheadRolloutTests(ShippedModels models)
{
    private static readonly string[] Problems = ["(37+48)*3-19", "715-(511+11)+409", "(26*(1+8)+86-72)*2-16", "5-3"];

    private static GenerationRequest Step(string problem, int rollout) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem), Samples = 4, StopStrings = ["\n"], RolloutSteps = rollout,
        Sampling = new SamplingOptions { Temperature = 0.8, Seed = 11 },
    };

    private static GenerationRequest Greedy(string problem, string step, int steps) => new()
    {
        Prompt = ArithmeticFormat.Prompt(problem) + step, StopStrings = ["\n"], StopAfter = steps, Sampling = new SamplingOptions { Temperature = 0 },
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_rollout_written_in_the_steps_row_is_the_greedy_continuation_of_the_step(int k)
    {
        var plain = models.Generator.Generate(Problems.Select(p => Step(p, 0)).ToList());
        var rolled = models.Generator.Generate(Problems.Select(p => Step(p, k)).ToList());
        var rollouts = 0;
        for (var i = 0; i < Problems.Length; i++)
        {
            Assert.Null(rolled[i].Error);
            Assert.Equal(plain[i].Samples.Select(s => (s.Text, s.FinishReason)), rolled[i].Samples.Select(s => (s.Text, s.FinishReason)));
            foreach (var same in rolled[i].Samples.GroupBy(s => s.Text))
            {
                if (same.First().FinishReason != FinishReasons.Stop)
                {
                    Assert.All(same, s => Assert.Equal(("", 0), (s.Rollout, s.RolloutTokens))); // the step ended the sample: nothing to roll out
                    continue;
                }

                // Every sample that wrote this step reports its greedy continuation; one of them wrote it.
                var greedy = models.Generator.Generate([Greedy(Problems[i], same.Key, k)])[0].Samples[0];
                Assert.All(same, s => Assert.Equal(greedy.Text, s.Rollout));
                Assert.Equal([greedy.Tokens.Length], same.Select(s => s.RolloutTokens).Where(t => t > 0));
                rollouts++;
            }

            // The rollout's tokens are generated compute of the request.
            Assert.Equal(plain[i].Usage.GeneratedTokens + rolled[i].Samples.Sum(s => s.RolloutTokens), rolled[i].Usage.GeneratedTokens);
        }

        Assert.True(rollouts >= Problems.Length, $"only {rollouts} steps were rolled out");
    }

    [Fact]
    public void Samples_that_end_the_same_step_share_one_rollout()
    {
        var greedyStep = Step("(37+48)*3-19", 1) with { Sampling = new SamplingOptions { Temperature = 0 } };
        var result = models.Generator.Generate([greedyStep, greedyStep with { Samples = 1 }]);
        var samples = result.SelectMany(r => r.Samples).ToList();
        Assert.Single(samples.Select(s => (s.Text, s.Rollout)).Distinct()); // five samples of one greedy step
        Assert.Equal(1, samples.Count(s => s.RolloutTokens > 0));          // and one row wrote its rollout
        var written = samples.Single(s => s.RolloutTokens > 0).RolloutTokens;
        Assert.Equal(samples.Sum(s => s.Tokens.Length - s.RolloutTokens) + written, result.Sum(r => r.Usage.GeneratedTokens));
    }

    [Fact]
    public void A_rollout_needs_stop_strings_and_a_count_of_zero_or_more()
    {
        var results = models.Generator.Generate([Step("5-3", -1), Step("5-3", 1) with { StopStrings = [] }]);
        Assert.All(results, r => Assert.Contains("rollout steps must be >= 0", r.Error));
    }
}
