using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;
using Platform.Reasoning.Revisions;

namespace Platform.UnitTests.Reasoning;

/// <summary>The revision context and the sequential-revisions controller, driven by scripted replies.</summary>
public sealed class RevisionTests
{
    [Theory]
    // attempts (| between), max attempts, max chars, expected context (\n written as /)
    [InlineData("A: 1/", 4, int.MaxValue, "A: 1/==/")]
    [InlineData("A: 1", 4, int.MaxValue, "A: 1/==/")]                                  // a missing newline is added
    [InlineData("A: 1/|A: 2/|A: 3/", 4, int.MaxValue, "A: 1/==/A: 2/==/A: 3/==/")]
    [InlineData("A: 1/|A: 2/|A: 3/|A: 4/|A: 5/", 4, int.MaxValue, "A: 2/==/A: 3/==/A: 4/==/A: 5/==/")] // only the latest four
    [InlineData("A: 1/|A: 2/|A: 3/", 2, int.MaxValue, "A: 2/==/A: 3/==/")]
    [InlineData("A: 1/|A: 2/|A: 3/", 4, 16, "A: 2/==/A: 3/==/")]                      // older attempts dropped to fit
    [InlineData("A: 1/|A: 2/|A: 3/", 4, 8, "A: 3/==/")]
    [InlineData("A: 1/|A: 22/", 4, 5, "2/==/")]                                          // the newest alone, cut from its start
    public void The_context_keeps_the_latest_attempts_that_fit(string attempts, int maxAttempts, int maxChars, string expected)
    {
        var list = attempts.Split('|').Select(a => a.Replace('/', '\n')).ToList();
        var context = RevisionFormat.Context(list, maxAttempts, RevisionFormat.DefaultSeparator, maxChars);
        Assert.Equal(expected.Replace('/', '\n'), context);
        Assert.True(context.Length <= maxChars);
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "", 3)]
    [InlineData("37+48=85", "37+48=84", 1)]
    [InlineData("37+48=85\nA: 85", "37+48=85\n85*2=170\nA: 170", 12)]
    [InlineData("kitten", "sitting", 3)]
    public void Edit_distance_counts_inserts_deletes_and_substitutions(string a, string b, int expected)
    {
        Assert.Equal(expected, RevisionFormat.EditDistance(a, b));
        Assert.Equal(expected, RevisionFormat.EditDistance(b, a));
    }

    private static Continuation Attempt(string key, string answer) => new(key, 0, answer == "_" ? "1+1=2\n" : $"1+1=2\nA: {answer}\n", 8, answer == "_" ? "length" : "eos");

    private static SequentialRevisions Chains(int p, int l, string selection = "verifier") =>
        Assert.IsType<SequentialRevisions>(ControllerRegistry.Create(new StrategyPlan
        {
            Strategy = Strategies.SequentialRevisions, N = p * l, Temperature = DefaultPolicy.SamplingTemperature, Chains = p, ChainLength = l, RevisionSelection = selection,
        }));

    [Fact]
    public void Chains_start_from_samples_then_revise_round_by_round_with_the_latest_attempts_in_context()
    {
        var controller = Chains(2, 6);
        var first = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal((2, RequestKinds.Generate), (first.Samples, first.Kind));
        var request = controller.OnGenerated([new Continuation("", 0, "1+1=3\nA: 3\n", 8, "eos"), new Continuation("", 1, "1+1=2\nA: 2\n", 8, "eos")]);
        for (var round = 1; round < 6; round++)
        {
            var revise = Assert.IsType<ReviseChains>(request);
            Assert.Equal(RequestKinds.Revise, revise.Kind);
            Assert.Equal(controller.Chains.Select(c => c[^1]), revise.Chains.Select(c => c.Key));
            Assert.All(revise.Chains, c => Assert.Equal(Math.Min(round, 4), c.Attempts.Count)); // the window of four
            Assert.Equal(controller.Nodes[controller.Chains[0][^1]].Text, revise.Chains[0].Attempts[^1]);

            // Resume mid-chain: the state is saved with every round and loaded for its reply.
            controller = Assert.IsType<SequentialRevisions>(ControllerRegistry.Load(ControllerRegistry.Save(controller)));
            request = controller.OnGenerated(revise.Chains.Select(c => Attempt(c.Key, $"{round}")).Reverse().ToList());
            Assert.Equal(2, controller.Created.Count);
            Assert.All(controller.Created, k => Assert.Equal(revise.Chains[controller.Nodes[k].Group].Key, controller.Nodes[k].Parent));
        }

        var score = Assert.IsType<ScoreTexts>(request);
        Assert.Equal(12, score.Items.Count);
        Assert.All(controller.Chains, c => Assert.Equal(6, c.Count));
        Assert.Equal("1+1=2\nA: 5\n", controller.Nodes[controller.Chains[1][^1]].Text); // an attempt's text is its own, not its chain's
    }

    [Theory]
    // answers per chain (chains separated by ;), scores likewise, selection, expected answer
    [InlineData("1,2;3,3", "0.9,0.2;0.6,0.6", "verifier", "1")]   // best per chain: 1 (0.9) and 3 (0.6): 1 wins across chains, though 3 has more attempts
    [InlineData("1,2;3,3;3,1", "0.9,0.2;0.6,0.6;0.5,0.1", "verifier", "3")] // 3 (0.6 + 0.5) beats 1 (0.9)
    [InlineData("1,2;2,1", "0.1,0.9;0.8,0.3", "verifier", "2")]
    [InlineData("_,4;5,5", "0.99,0.1;0.5,0.5", "verifier", "5")]   // an attempt without an answer is never a chain's pick
    [InlineData("1,2;2,1;1,1", "0,0;0,0;0,0", "majority", "1")]     // majority over all attempts
    [InlineData("2,2;1,3", "0,0;0,0", "majority", "2")]
    public void The_answer_is_the_best_of_each_chain_weighted_across_chains_or_a_majority_over_all_attempts(string answers, string scores, string selection, string expected)
    {
        var chains = answers.Split(';').Select(c => c.Split(',')).ToList();
        var controller = Chains(chains.Count, chains[0].Length, selection);
        var request = controller.Start();
        request = controller.OnGenerated(chains.Select((c, i) => Attempt("", c[0]) with { SampleIndex = i }).ToList());
        for (var t = 1; t < chains[0].Length; t++)
        {
            var revise = Assert.IsType<ReviseChains>(request);
            request = controller.OnGenerated(revise.Chains.Select((c, i) => Attempt(c.Key, chains[i][t])).ToList());
        }

        if (selection == "verifier")
        {
            var values = scores.Split(';').Select(c => c.Split(',').Select(double.Parse).ToList()).ToList();
            var score = Assert.IsType<ScoreTexts>(request);
            var byKey = controller.Chains.SelectMany((c, i) => c.Select((k, t) => (k, (IReadOnlyList<double>)[values[i][t]]))).ToDictionary(x => x.k, x => x.Item2);
            Assert.Equal(byKey.Keys.Order(), score.Items.Select(i => i.Key).Order());
            request = controller.OnScored(byKey);
        }

        var finish = Assert.IsType<FinishRun>(request);
        Assert.Equal(expected, finish.Answer);
        Assert.Equal(expected, controller.Nodes[finish.Node!].Answer);
    }

    [Fact]
    public void Probes_start_chains_and_are_not_sampled_or_scored_again()
    {
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = Strategies.SequentialRevisions, N = 6, Chains = 3, ChainLength = 2, Probes = 2 });
        var probe = Assert.IsType<SampleSolutions>(controller.Start());
        Assert.Equal((2, RequestKinds.Probe), (probe.Samples, probe.Kind));
        controller.OnGenerated([Attempt("", "7"), Attempt("", "8") with { SampleIndex = 1 }]);
        var more = Assert.IsType<SampleSolutions>(controller.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [0.4], ["n1"] = [0.3] }));
        Assert.Equal((1, RequestKinds.Generate), (more.Samples, more.Kind)); // the third chain's first attempt
        var revise = Assert.IsType<ReviseChains>(controller.OnGenerated([Attempt("", "9")]));
        Assert.Equal(["n0", "n1", "n2"], revise.Chains.Select(c => c.Key));
        var score = Assert.IsType<ScoreTexts>(controller.OnGenerated(revise.Chains.Select(c => Attempt(c.Key, "7")).ToList()));
        Assert.Equal(["n2", "n3", "n4", "n5"], score.Items.Select(i => i.Key).Order()); // the probes keep their scores
        var finish = Assert.IsType<FinishRun>(controller.OnScored(score.Items.ToDictionary(i => i.Key, _ => (IReadOnlyList<double>)[0.5])));
        Assert.Equal("7", finish.Answer);
        Assert.Equal(6, controller.Nodes.Count(n => n.Key != ""));
    }

    [Fact]
    public void Probes_beyond_the_chains_stay_in_the_run_and_join_the_final_pick()
    {
        // Four probes, one chain of two attempts: n0 starts the chain, n1-n3 are kept (their scores are stored) and vote.
        var controller = ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = Strategies.SequentialRevisions, N = 2, Chains = 1, ChainLength = 2, Probes = 4 });
        controller.Start();
        controller.OnGenerated([Attempt("", "5"), Attempt("", "6") with { SampleIndex = 1 }, Attempt("", "6") with { SampleIndex = 2 }, Attempt("", "7") with { SampleIndex = 3 }]);
        var revise = Assert.IsType<ReviseChains>(controller.OnScored(new Dictionary<string, IReadOnlyList<double>>
        {
            ["n0"] = [0.5], ["n1"] = [0.4], ["n2"] = [0.4], ["n3"] = [0.3],
        }));
        Assert.Equal(["n0", "n1", "n2", "n3"], controller.Updated); // the probes' scores are reported, and their nodes exist
        Assert.All(controller.Updated, k => Assert.True(controller.Nodes.ContainsKey(k)));
        Assert.Equal("n0", Assert.Single(revise.Chains).Key);
        controller = ControllerRegistry.Load(ControllerRegistry.Save(controller));
        var score = Assert.IsType<ScoreTexts>(controller.OnGenerated([Attempt("n0", "5")]));
        Assert.Equal(["n4"], score.Items.Select(i => i.Key));
        var finish = Assert.IsType<FinishRun>(controller.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n4"] = [0.6] }));
        Assert.Equal("6", finish.Answer); // 6: 0.4 + 0.4 beats the chain's best 5 (0.6) and 7 (0.3)
    }

    private static Dictionary<string, IReadOnlyList<double>> Scores(params (string Key, double Score)[] scores) =>
        scores.ToDictionary(s => s.Key, s => (IReadOnlyList<double>)[s.Score]);

    private static StrategyController Stopping(int p, EarlyStop stop, int probes = 0) => ControllerRegistry.Create(new StrategyPlan
    {
        Strategy = Strategies.SequentialRevisions, N = p * 2, Temperature = DefaultPolicy.SamplingTemperature, Chains = p, ChainLength = 2, EarlyStop = stop.Spec, Probes = probes,
    });

    [Fact]
    public void Early_stop_runs_one_wave_of_chains_at_a_time_and_ends_once_the_answer_is_settled()
    {
        var controller = Stopping(4, new EarlyStop { Wave = 1, Weight = 0.5, Share = 0.5 });
        Assert.Equal(1, Assert.IsType<SampleSolutions>(controller.Start()).Samples);
        Assert.Single(Assert.IsType<ReviseChains>(controller.OnGenerated([Attempt("", "7")])).Chains);
        Assert.IsType<ScoreTexts>(controller.OnGenerated([Attempt("n0", "7")]));
        // The first chain's best weighs 0.3 < 0.5: the next wave (one chain) starts.
        Assert.Equal(1, Assert.IsType<SampleSolutions>(controller.OnScored(Scores(("n0", 0.2), ("n1", 0.3)))).Samples);
        controller = ControllerRegistry.Load(ControllerRegistry.Save(controller)); // resumes mid-run
        controller.OnGenerated([Attempt("", "7")]);
        controller.OnGenerated([Attempt("n2", "8")]);
        // Chain picks: n1 (7, 0.3) and n2 (7, 0.6): 7 weighs 0.9 of 0.9, so the run ends with two of its four chains.
        var finish = Assert.IsType<FinishRun>(controller.OnScored(Scores(("n2", 0.6), ("n3", 0.4))));
        Assert.Equal("7", finish.Answer);
        Assert.Equal(4, controller.Nodes.Count(n => n.Key != ""));
    }

    [Theory]
    // give up after, give-up weight, score of every attempt -> chains run
    [InlineData(2, 0.5, 0.1, 2)]  // nothing confident after two chains: given up
    [InlineData(0, 0.5, 0.1, 3)]  // never giving up: every chain runs
    [InlineData(2, 0.05, 0.1, 3)] // the leader weighs more than the give-up weight, but not enough to stop
    public void Early_stop_gives_up_on_a_run_no_chain_gets_right(int giveUpAfter, double giveUpWeight, double score, int chains)
    {
        // Answers differ chain to chain, so no answer gathers the 0.5 needed to stop.
        var controller = Stopping(3, new EarlyStop { Weight = 0.5, Share = 0.5, GiveUpAfter = giveUpAfter, GiveUpWeight = giveUpWeight });
        var request = controller.Start();
        var run = 0;
        while (request is not FinishRun)
        {
            request = request switch
            {
                SampleSolutions => controller.OnGenerated([Attempt("", $"{run}")]),
                ReviseChains r => controller.OnGenerated([Attempt(r.Chains[0].Key, $"{run++}")]),
                ScoreTexts t => controller.OnScored(t.Items.ToDictionary(i => i.Key, _ => (IReadOnlyList<double>)[score])),
                _ => throw new InvalidOperationException($"unexpected {request}"),
            };
        }

        Assert.Equal(chains, ((SequentialRevisions)controller).Chains.Count);
    }

    [Fact]
    public void Settled_probes_end_the_run_at_once_and_unsettled_ones_are_revised_without_counting_towards_giving_up()
    {
        var settled = Stopping(4, new EarlyStop { Weight = 0.5, GiveUpAfter = 1, GiveUpWeight = 0.5 }, probes: 2);
        settled.Start();
        settled.OnGenerated([Attempt("", "7"), Attempt("", "7") with { SampleIndex = 1 }]);
        Assert.Equal("7", Assert.IsType<FinishRun>(settled.OnScored(Scores(("n0", 0.4), ("n1", 0.3)))).Answer); // 0.7 >= 0.5

        var unsettled = Stopping(4, new EarlyStop { Weight = 0.5, GiveUpAfter = 1, GiveUpWeight = 0.5 }, probes: 2);
        unsettled.Start();
        unsettled.OnGenerated([Attempt("", "7"), Attempt("", "8") with { SampleIndex = 1 }]);
        // Weak probes are one attempt each, not finished chains: they are revised rather than given up on.
        var revise = Assert.IsType<ReviseChains>(unsettled.OnScored(Scores(("n0", 0.1), ("n1", 0.2))));
        Assert.Equal(["n0", "n1"], revise.Chains.Select(c => c.Key));
    }

    [Theory]
    [InlineData("on", "rule=weight,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=0,give-up-weight=0")]
    [InlineData("", "rule=weight,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=0,give-up-weight=0")]
    [InlineData("wave=2, weight=1.5", "rule=weight,wave=2,weight=1.5,share=0.5,level=0.95,give-up-after=0,give-up-weight=0")]
    [InlineData("give-up-after=16,give-up-weight=0.5", "rule=weight,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=16,give-up-weight=0.5")]
    [InlineData("rule=beta,wave=4,level=0.99", "rule=beta,wave=4,weight=0.5,share=0.5,level=0.99,give-up-after=0,give-up-weight=0")]
    [InlineData("rule=esc,wave=8", "rule=esc,wave=8,weight=0.5,share=0.5,level=0.95,give-up-after=0,give-up-weight=0")]
    public void Early_stop_specs_read_with_defaults_for_what_they_leave_out(string spec, string expected)
    {
        var stop = EarlyStop.Parse(spec);
        Assert.Equal(expected, stop.Spec);
        Assert.Equal(stop, EarlyStop.Parse(stop.Spec));
    }

    [Theory]
    [InlineData("speed=2", "unknown key 'speed'")]
    [InlineData("weight=heavy", "weight must be a number")]
    [InlineData("wave=1.5", "wave must be an integer")]
    [InlineData("wave=0", "wave must be at least 1")]
    [InlineData("share=2", "share must be within [0, 1]")]
    [InlineData("give-up-after=-1", "give-up-after must be >= 0")]
    [InlineData("weight=-1", "weights must be >= 0")]
    [InlineData("rule=luck", "unknown early-stop rule 'luck'")]
    [InlineData("rule=esc,wave=1", "esc rule needs a wave of at least 2")]
    [InlineData("rule=beta,level=0.4", "level must be within (0.5, 1)")]
    public void A_bad_early_stop_spec_names_the_key_and_the_limit(string spec, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => EarlyStop.Parse(spec));
        Assert.True(e is FormatException or ArgumentException);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Early_stop_needs_verifier_selection()
    {
        var e = Assert.Throws<ArgumentException>(() => SequentialRevisions.Create(new RevisionSettings { Selection = RevisionSelection.Majority, Stop = new EarlyStop() }));
        Assert.Contains("verifier", e.Message);
    }

    [Theory]
    // N, chains, chain length -> P, L
    [InlineData(16, 0, 0, 4, 4)]
    [InlineData(64, 0, 0, 8, 8)]
    [InlineData(8, 0, 0, 2, 4)]
    [InlineData(16, 1, 0, 1, 16)]
    [InlineData(16, 0, 1, 16, 1)]
    [InlineData(16, 2, 8, 2, 8)]
    public void The_chain_shape_comes_from_N_when_not_given(int n, int chains, int length, int p, int l)
    {
        Assert.Equal((p, l), ControllerRegistry.ChainShape(n, chains, length));
    }

    [Fact]
    public void Bad_revision_settings_are_refused_with_the_setting_named()
    {
        Assert.Contains("revision selection", Assert.Throws<ArgumentException>(() => Chains(2, 2, "best")).Message);
        Assert.Contains("chain length", Assert.Throws<ArgumentException>(() => SequentialRevisions.Create(new RevisionSettings { Chains = 2, Length = 0 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RevisionFormat.Context(["A: 1\n"], maxAttempts: 0));
    }
}
