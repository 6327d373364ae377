using System.Text.Json;
using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;

namespace Platform.UnitTests.Reasoning;

/// <summary>
/// A generation scored on its way back (Generator → Verifier → Aggregator) must leave a controller exactly
/// where the two replies one after the other would: same requests, same nodes and scores, same answer,
/// with both calls' nodes reported. Driven against the scripted world of <see cref="ControllerTests"/>,
/// with a verifier that scores a text by the text alone (it cannot see node keys when scoring in passing).
/// </summary>
public sealed class ScoredInPassingTests
{
    private static IReadOnlyList<double> Score(string text) => [0.5, (text.Length * 37 % 100) / 100.0];

    private static StrategyPlan Settings(string strategy) => new()
    {
        Strategy = strategy, N = 4, Temperature = DefaultPolicy.SamplingTemperature, Probes = strategy == Strategies.ComputeOptimal ? 2 : 0,
        PolicyJson = strategy == Strategies.ComputeOptimal ? ControllerTests.PolicyJson(4) : null,
    };

    private sealed record Drive(FinishRun Finish, List<string> Kinds, List<string> Created, List<string> Updated, string Nodes, int Fused);

    private static Drive Run(string strategy, bool fused)
    {
        var controller = ControllerRegistry.Create(Settings(strategy));
        var request = controller.Start();
        var (kinds, created, updated, taken) = (new List<string>(), new List<string>(), new List<string>(), 0);
        for (var round = 0; round < 500 && request is not FinishRun; round++)
        {
            kinds.Add(request.Kind);
            controller = ControllerRegistry.Load(ControllerRegistry.Save(controller));
            if (fused && request.ThenScore is { } kind)
            {
                var continuations = ControllerTests.Generated(controller, request);
                var scores = continuations.Select(c => (IReadOnlyList<double>?)Score(controller.Nodes[c.NodeKey].Text + c.Text + c.Rollout)).ToList();
                (request, var scoresTaken) = controller.OnGeneratedAndScored(continuations, scores, kind);
                Assert.True(scoresTaken, $"{strategy}: the {kind} scores of a request marked ThenScore were not taken");
                kinds.Add(kind);
                taken++;
            }
            else
            {
                request = request is ScoreTexts t
                    ? controller.OnScored(t.Items.ToDictionary(i => i.Key, i => Score(i.Text)))
                    : controller.OnGenerated(ControllerTests.Generated(controller, request));
            }

            created.AddRange(controller.Created);
            updated.AddRange(controller.Updated);
        }

        return new Drive(Assert.IsType<FinishRun>(request), kinds, created, updated, JsonSerializer.Serialize(controller.Nodes), taken);
    }

    public static TheoryData<string> Every() => [.. ControllerRegistry.Names];

    [Theory]
    [MemberData(nameof(Every))]
    public void Scoring_in_passing_ends_every_strategy_where_two_replies_would(string strategy)
    {
        var apart = Run(strategy, fused: false);
        var together = Run(strategy, fused: true);
        Assert.Equal(apart.Finish, together.Finish);
        Assert.Equal(apart.Kinds, together.Kinds);
        Assert.Equal(apart.Created, together.Created);
        Assert.Equal(apart.Updated.Order(), together.Updated.Order());
        Assert.Equal(apart.Nodes, together.Nodes);
    }

    [Theory]
    // Which strategies score exactly what they generate next (and so can be scored in passing).
    [InlineData("greedy", false)]
    [InlineData("self-consistency", false)]
    [InlineData("budget-forcing", false)]
    [InlineData("best-of-n", true)]
    [InlineData("weighted-best-of-n", true)]
    [InlineData("beam-search", true)]
    [InlineData("dvts", true)]
    [InlineData("lookahead", true)]
    [InlineData("mcts", false)]
    [InlineData("sequential-revisions", false)]
    [InlineData("compute-optimal", true)]
    public void Strategies_that_score_what_they_generate_ask_for_it(string strategy, bool fused)
    {
        Assert.Equal(fused, Run(strategy, fused: true).Fused > 0);
    }

    private static (StrategyController Controller, List<Continuation> Samples) Sampled()
    {
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "weighted-best-of-n", N = 3 });
        var request = controller.Start();
        Assert.Equal(RequestKinds.Score, request.ThenScore);
        return (controller, ControllerTests.Generated(controller, request));
    }

    [Fact]
    public void Scores_missing_for_one_sample_are_left_aside_and_the_scoring_is_asked_for()
    {
        var (controller, samples) = Sampled();
        var scores = samples.Select((c, i) => i == 1 ? null : (IReadOnlyList<double>?)Score(c.Text)).ToList();
        var (next, taken) = controller.OnGeneratedAndScored(samples, scores, RequestKinds.Score);
        Assert.False(taken);
        Assert.Equal(3, Assert.IsType<ScoreTexts>(next).Items.Count);
        Assert.All(controller.Created, k => Assert.Null(controller.Nodes[k].Score));
    }

    [Fact]
    public void Scores_of_another_round_kind_are_left_aside()
    {
        var (controller, samples) = Sampled();
        var (next, taken) = controller.OnGeneratedAndScored(samples, [.. samples.Select(c => (IReadOnlyList<double>?)Score(c.Text))], RequestKinds.ProbeScore);
        Assert.False(taken);
        Assert.IsType<ScoreTexts>(next);
    }

    [Fact]
    public void Empty_step_scores_count_as_an_answer_from_the_verifier()
    {
        // A sample the verifier could not read comes back with no step scores: it ranks lowest, as when scored apart.
        var (controller, samples) = Sampled();
        var scores = samples.Select((c, i) => i == 0 ? [] : (IReadOnlyList<double>?)Score(c.Text)).ToList();
        var (next, taken) = controller.OnGeneratedAndScored(samples, scores, RequestKinds.Score);
        Assert.True(taken);
        Assert.IsType<FinishRun>(next);
        Assert.Equal(0, controller.Nodes[controller.Created[0]].Score);
        Assert.Equal(controller.Created.Order(), controller.Updated.Order());
    }

    [Fact]
    public void A_score_list_that_does_not_match_the_samples_is_refused()
    {
        var (controller, samples) = Sampled();
        var e = Assert.Throws<ArgumentException>(() => controller.OnGeneratedAndScored(samples, [null], RequestKinds.Score));
        Assert.Contains("one score entry per continuation", e.Message);
    }
}
