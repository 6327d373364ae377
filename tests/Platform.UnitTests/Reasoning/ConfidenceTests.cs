using Platform.Reasoning.Confidence;
using Platform.Reasoning.Controllers;

namespace Platform.UnitTests.Reasoning;

/// <summary>DeepConf's trace confidences, the filter and threshold, the packed log-probabilities and the early-stopping rules, as tables.</summary>
public sealed class ConfidenceTests
{
    private static float[] Tokens(string list) => list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => float.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    [Theory]
    // token confidences, window, tail -> mean, lowest group, bottom 10%, tail
    [InlineData("2 2 2 2", 2, 2, 2, 2, 2, 2)]
    [InlineData("4 2 0 2 4", 2, 2, 2.4, 1, 1, 3)]                        // groups 3 1 1 3; bottom tenth = one group
    [InlineData("4 2 0 2 4", 3, 1, 2.4, 1.333333, 1.333333, 4)]          // groups 2 1.33 2
    [InlineData("1 5", 8, 8, 3, 3, 3, 3)]                                // shorter than the window: one group
    [InlineData("5 5 5 5 5 5 5 5 5 5 5 1", 1, 3, 4.666667, 1, 3, 3.666667)]   // 12 groups: the bottom tenth is 2 of them
    [InlineData("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21", 1, 21, 11, 1, 2, 11)] // 21 groups: 3 in the bottom tenth
    public void Trace_confidences_are_read_as_DeepConf_defines_them(string tokens, int window, int tail, double mean, double lowest, double bottom, double tailMean)
    {
        var c = TraceConfidence.Of(Tokens(tokens), window, tail)!;
        Assert.Equal(mean, c.Mean, 5);
        Assert.Equal(lowest, c.LowestGroup, 5);
        Assert.Equal(bottom, c.Bottom10, 5);
        Assert.Equal(tailMean, c.Tail, 5);
    }

    [Fact]
    public void A_trace_without_tokens_has_no_confidence_and_a_zero_window_is_refused()
    {
        Assert.Null(TraceConfidence.Of([], 4, 4));
        Assert.Contains("at least 1 token", Assert.Throws<ArgumentException>(() => TraceConfidence.Of([1f], 0, 4)).Message);
    }

    [Theory]
    // top-k log-probabilities -> token confidence
    [InlineData("-0.1 -2.3 -4.6", 2.333333)]
    [InlineData("0", 0)]
    [InlineData("-1 -1 -1 -1", 1)]
    public void A_token_confidence_is_the_negative_mean_of_its_top_log_probabilities(string logProbs, double expected)
    {
        Assert.Equal(expected, TraceConfidence.Token(Tokens(logProbs)), 5);
    }

    [Theory]
    // confidences (_ = none), keep percent -> kept (1/0)
    [InlineData("1 2 3 4 5 6 7 8 9 10", 10, "0000000001")]
    [InlineData("1 2 3 4 5 6 7 8 9 10", 90, "0111111111")]
    [InlineData("1 2 3 4 5 6 7 8 9 10", 25, "0000000111")]              // ceil(2.5) = 3
    [InlineData("3 _ 3 1", 50, "1010")]                                 // ties at the cut kept together; no confidence never
    [InlineData("_ _", 50, "00")]
    [InlineData("7", 1, "1")]                                           // at least one
    public void The_most_confident_traces_are_kept(string confidences, double keep, string expected)
    {
        var list = confidences.Split(' ').Select(x => x == "_" ? (double?)null : double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(expected, string.Concat(ConfidenceFilter.Kept(list, keep).Select(k => k ? '1' : '0')));
    }

    [Theory]
    // warm-up confidences, keep percent -> threshold
    [InlineData("1 2 3 4 5 6 7 8 9 10", 10, 10)]     // DeepConf-low: the 90th percentile
    [InlineData("1 2 3 4 5 6 7 8 9 10", 90, 2)]      // DeepConf-high: the 10th percentile
    [InlineData("5 1 3", 50, 3)]
    [InlineData("4", 100, 4)]
    public void The_online_threshold_is_the_warmups_percentile(string warmup, double keep, double expected)
    {
        Assert.Equal(expected, ConfidenceFilter.Threshold(Tokens(warmup).Select(x => (double)x).ToList(), keep));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(double.NaN)]
    public void A_keep_percentage_out_of_range_is_refused(double keep)
    {
        Assert.Contains("(0, 100]", Assert.Throws<ArgumentException>(() => ConfidenceFilter.Kept([1.0], keep)).Message);
    }

    [Fact]
    public void Packed_log_probabilities_keep_half_precision()
    {
        float[] logProbs = [-0.0123f, -2.5f, float.NaN, -17.75f];
        float[] confidences = [3.25f, 1.5f, 0.001f, 12f];
        var packed = TokenLogProbs.Pack(logProbs, confidences);
        Assert.Equal(16, packed.Length);
        var (l, c) = TokenLogProbs.Unpack(packed);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((float)(Half)logProbs[i], l[i]);
            Assert.Equal((float)(Half)confidences[i], c[i]);
        }

        Assert.Throws<ArgumentException>(() => TokenLogProbs.Unpack(new byte[3]));
    }

    [Theory]
    [InlineData("", "measure=lowest-group,keep=90,window=2048,warmup=0,top-k=20")]
    [InlineData("measure=tail,keep=10,window=16", "measure=tail,keep=10,window=16,warmup=0,top-k=20")]
    [InlineData("warmup=8,top-k=5", "measure=lowest-group,keep=90,window=2048,warmup=8,top-k=5")]
    public void Confidence_specs_read_with_defaults(string spec, string expected)
    {
        var settings = ConfidenceSettings.Parse(spec);
        Assert.Equal(expected, settings.Spec);
        Assert.Equal(settings, ConfidenceSettings.Parse(settings.Spec));
    }

    [Theory]
    [InlineData("colour=red", "unknown key 'colour'")]
    [InlineData("measure=vibes", "unknown confidence measure 'vibes'")]
    [InlineData("keep=0", "keep must be a percentage within (0, 100]")]
    [InlineData("window=0", "window must be within 1..1000000")]
    [InlineData("top-k=101", "top-k must be within 1..100")]
    [InlineData("window=2.5", "window must be an integer")]
    [InlineData("warmup=4,measure=mean", "its measure is lowest-group")]
    public void A_bad_confidence_spec_names_the_key_and_the_limit(string spec, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => ConfidenceSettings.Parse(spec));
        Assert.True(e is FormatException or ArgumentException);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    // leading weight, runner-up -> P(leader's share > runner-up's) = 1 - I_1/2(w1 + 1, w2 + 1)
    [InlineData(3, 0, 0.9375)]        // 1 - 2^-4
    [InlineData(4, 0, 0.96875)]       // 1 - 2^-5
    [InlineData(2, 2, 0.5)]
    [InlineData(5, 1, 0.9375)]        // I_1/2(6, 2) = P(Bin(7, 1/2) >= 6) = 8/128
    public void The_beta_rule_is_adaptive_consistencys(double first, double second, double expected)
    {
        Assert.Equal(expected, EarlyStop.Lead(first, second), 6);
    }

    [Theory]
    // rule spec, weights per answer, done, last wave answers (| between, _ none) -> settled
    [InlineData("rule=beta,level=0.95", "3", 3, "", false)]            // 0.9375 < 0.95
    [InlineData("rule=beta,level=0.95", "4", 4, "", true)]
    [InlineData("rule=beta,level=0.95", "4|1", 5, "", false)]
    [InlineData("rule=esc,wave=4", "3|1", 4, "7|7|7|2", false)]
    [InlineData("rule=esc,wave=4", "4|1", 5, "7|7|7|7", true)]
    [InlineData("rule=esc,wave=4", "3", 3, "7|7|7", false)]            // a wave not yet whole
    [InlineData("rule=esc,wave=2", "0", 2, "_|_", false)]              // no answer agrees with nothing
    [InlineData("rule=weight,weight=0,share=0.95", "19|1", 20, "", true)]
    [InlineData("rule=weight,weight=0,share=0.95", "18|2", 20, "", false)]
    [InlineData("rule=beta,give-up-after=8,give-up-weight=0.5", "0.2|0.1", 8, "", true)] // gives up
    public void Each_early_stop_rule_settles_as_its_paper_says(string spec, string weights, int done, string wave, bool settled)
    {
        var stop = EarlyStop.Parse(spec);
        var w = weights.Split('|').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var last = wave.Length == 0 ? null : wave.Split('|').Select(a => a == "_" ? null : a).ToList();
        Assert.Equal(settled, stop.Settled(w, done, last));
    }
}
