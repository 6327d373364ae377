using Platform.Contracts;
using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;

namespace Platform.UnitTests.Reasoning;

/// <summary>Confidence voting, DeepConf online and early stopping of voting strategies, driven by scripted replies.</summary>
public sealed class ConfidenceControllerTests
{
    private static Continuation Trace(int i, string answer, double confidence, string finish = "eos") =>
        new("", i, $"2+3=5\nA: {answer}\n", 8, finish, new TraceConfidence(confidence, confidence, confidence, confidence));

    private static StrategyController Create(string strategy, int n, string? stop = null, string? confidence = null) => ControllerRegistry.Create(new StrategyPlan
    {
        Strategy = strategy, N = n, Temperature = DefaultPolicy.SamplingTemperature, EarlyStop = stop, Confidence = confidence,
    });

    [Theory]
    // keep percent -> the answer picked from three unsure traces saying 3 and one sure trace saying 5
    [InlineData(25, "5")]
    [InlineData(100, "5")]   // all vote, weighted: 9 > 1 + 1 + 1
    public void Confidence_voting_lets_the_confident_traces_decide(double keep, string expected)
    {
        var controller = Create(Strategies.ConfidenceVote, 4, confidence: $"measure=mean,keep={keep}");
        Assert.Equal(4, Assert.IsType<SampleSolutions>(controller.Start()).Samples);
        var finish = Assert.IsType<FinishRun>(controller.OnGenerated([Trace(0, "3", 1), Trace(1, "3", 1), Trace(2, "3", 1), Trace(3, "5", 9)]));
        Assert.Equal(expected, finish.Answer);
    }

    [Fact]
    public void Majority_voting_over_the_same_traces_picks_the_frequent_answer()
    {
        var controller = Create(Strategies.SelfConsistency, 4);
        controller.Start();
        Assert.Equal("3", Assert.IsType<FinishRun>(controller.OnGenerated([Trace(0, "3", 1), Trace(1, "3", 1), Trace(2, "3", 1), Trace(3, "5", 9)])).Answer);
    }

    [Fact]
    public void Self_consistency_with_esc_stops_after_a_wave_that_agrees()
    {
        var controller = Create(Strategies.SelfConsistency, 16, stop: "rule=esc,wave=4");
        Assert.Equal(4, Assert.IsType<SampleSolutions>(controller.Start()).Samples);
        var next = Assert.IsType<SampleSolutions>(controller.OnGenerated([Trace(0, "5", 1), Trace(1, "5", 1), Trace(2, "4", 1), Trace(3, "5", 1)]));
        Assert.Equal(4, next.Samples);
        var finish = Assert.IsType<FinishRun>(controller.OnGenerated([Trace(0, "5", 1), Trace(1, "5", 1), Trace(2, "5", 1), Trace(3, "5", 1)]));
        Assert.Equal("5", finish.Answer);
        Assert.Equal(8, ((SampleAndSelect)controller).Pool.Count);
    }

    [Fact]
    public void Self_consistency_with_the_beta_rule_samples_until_the_lead_is_sure_or_N_is_spent()
    {
        var controller = Create(Strategies.SelfConsistency, 8, stop: "rule=beta,wave=2,level=0.95");
        controller.Start();
        Assert.IsType<SampleSolutions>(controller.OnGenerated([Trace(0, "5", 1), Trace(1, "5", 1)]));   // 2-0: 0.875
        Assert.IsType<SampleSolutions>(controller.OnGenerated([Trace(0, "5", 1), Trace(1, "6", 1)]));   // 3-1: 0.8125
        var finish = controller.OnGenerated([Trace(0, "5", 1), Trace(1, "5", 1)]);                     // 5-1: 0.9375 < 0.95, but N = 8 is not yet spent
        Assert.Equal(2, Assert.IsType<SampleSolutions>(finish).Samples);
        Assert.Equal("5", Assert.IsType<FinishRun>(controller.OnGenerated([Trace(0, "5", 1), Trace(1, "5", 1)])).Answer); // N spent
    }

    [Fact]
    public void Weighted_best_of_n_with_early_stopping_scores_each_wave_before_deciding()
    {
        var controller = Create(Strategies.WeightedBestOfN, 16, stop: "rule=weight,wave=4,weight=2,share=0.8");
        var first = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal((4, RequestKinds.Score), (first.Samples, first.ThenScore));
        var score = Assert.IsType<ScoreTexts>(controller.OnGenerated([Trace(0, "5", 1), Trace(1, "5", 1), Trace(2, "5", 1), Trace(3, "4", 1)]));
        var finish = controller.OnScored(score.Items.ToDictionary(i => i.Key, i => (IReadOnlyList<double>)[i.Text.Contains("A: 5") ? 0.9 : 0.1]));
        Assert.Equal("5", Assert.IsType<FinishRun>(finish).Answer); // 2.7 of 2.8: settled after one wave
    }

    [Fact]
    public void DeepConf_online_sets_its_threshold_from_the_warmup_and_drops_stopped_traces_from_the_vote()
    {
        var controller = (SampleAndSelect)Create(Strategies.DeepConf, 16, confidence: "warmup=4,keep=50,window=8");
        var warmup = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal(4, warmup.Samples);
        Assert.Null(warmup.StopBelow);

        // Warm-up confidences 1 2 3 4, keep 50%: the threshold is 3; answers split, so sampling goes on in waves of warmup / 2.
        var wave = Assert.IsType<SampleSolutions>(controller.OnGenerated([Trace(0, "7", 1), Trace(1, "7", 2), Trace(2, "5", 3), Trace(3, "7", 4)]));
        Assert.Equal(3, controller.Threshold);
        Assert.Equal((2, 3.0), (wave.Samples, wave.StopBelow!.Value));

        // A stopped trace does not vote; the kept ones (confidence >= 3) say 5 (3) and 7 (4 + 5): 7 holds 9/12 < 95%.
        var next = Assert.IsType<SampleSolutions>(controller.OnGenerated([Trace(0, "5", 0.5, SearchNode.StoppedForConfidence), Trace(1, "7", 5)]));
        Assert.Equal(3.0, next.StopBelow);
        var end = controller.OnGenerated([Trace(0, "7", 6), Trace(1, "7", 6)]);
        Assert.IsType<SampleSolutions>(end); // 21 / 24 = 87.5%: not yet
        controller.OnGenerated([Trace(0, "7", 40), Trace(1, "7", 40)]);
        Assert.True(controller.Finished);
        Assert.Equal(10, controller.Pool.Count); // 101 / 104 = 97%: stopped with 6 of the 16 unspent
    }
}

/// <summary>A compute-optimal run whose policy reads difficulty from the probes' confidence: the probes are not scored.</summary>
public sealed class ConfidenceProbeTests
{
    private static Continuation Trace(int i, string answer, double confidence) =>
        new("", i, $"2+3=5\nA: {answer}\n", 8, "eos", new TraceConfidence(confidence, confidence, confidence, confidence));

    [Theory]
    // mean probe confidence -> predicted bin (bounds 4 3 2 1: higher is easier)
    [InlineData(5.0, 1, "greedy")]
    [InlineData(2.5, 3, "self-consistency")]
    [InlineData(0.5, 5, "weighted-best-of-n")]
    public void Confidence_probes_pick_the_bin_without_a_verifier(double confidence, int bin, string strategy)
    {
        var byBin = new[] { "greedy", "greedy", "self-consistency", "self-consistency", "weighted-best-of-n" }
            .Select(s => new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = s, N = s == "greedy" ? 1 : 8 }).ToList();
        var rule = new Platform.Reasoning.Policy.PolicyFollowUp { Version = 3, Budget = 8, Bounds = [4, 3, 2, 1], Signal = Platform.Reasoning.Policy.ProbeSignal.Confidence, ByBin = byBin };
        var controller = ProbeThen.Create(4, 0.8, rule);
        var probes = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal((4, RequestKinds.Probe, null), (probes.Samples, probes.Kind, probes.ThenScore)); // no scoring asked
        var next = controller.OnGenerated([.. Enumerable.Range(0, 4).Select(i => Trace(i, "5", confidence))]);
        Assert.False(next is ScoreTexts { Kind: RequestKinds.ProbeScore }, "confidence probes are not scored");
        Assert.Equal((bin, confidence), (controller.PredictedBin, controller.ProbeScore));
        Assert.Equal(strategy, controller.Chosen);
        Assert.Contains("mean probe confidence", controller.Reason);
    }
}
