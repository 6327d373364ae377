using System.Text.Json;
using Platform.Contracts;
using Platform.Reasoning.Controllers;
using Platform.Reasoning.Planning;

namespace Platform.UnitTests.Reasoning;

public sealed class BeamSearchTests
{
    private static Continuation C(string node, int sample, string text, string finish = "step") => new(node, sample, text, text.Length, finish);

    private static Dictionary<string, IReadOnlyList<double>> Scores(params (string Key, double Last)[] s) =>
        s.ToDictionary(x => x.Key, x => (IReadOnlyList<double>)[x.Last]);

    [Fact]
    public void Keeps_the_top_N_over_M_by_score_and_expands_each_M_times()
    {
        var (search, first) = BeamSearch.Start(new BeamSettings { N = 4, M = 2 });
        var expand = Assert.IsType<ExpandNodes>(first);
        Assert.Equal([""], expand.Nodes);
        Assert.Equal(4, expand.Samples);
        var score = Assert.IsType<ScoreTexts>(search.OnExpanded([C("", 0, "1+1=2\n"), C("", 1, "1+1=3\n"), C("", 2, "1+1=2\n"), C("", 3, "1+1=4\n")]));
        Assert.Equal(["n0", "n1", "n2", "n3"], score.Items.Select(i => i.Key));
        Assert.Equal("1+1=3\n", score.Items[1].Text);

        var next = Assert.IsType<ExpandNodes>(search.OnScored(Scores(("n0", 0.6), ("n1", 0.1), ("n2", 0.9), ("n3", 0.6))));
        Assert.Equal(["n2", "n0"], next.Nodes);      // top 2; the 0.6 tie goes to the earlier node
        Assert.Equal(2, next.Samples);
        Assert.Equal(1, search.Round);
    }

    [Fact]
    public void Finished_solutions_are_set_aside_and_the_answer_is_weighted_best_of_n_over_them()
    {
        var (search, _) = BeamSearch.Start(new BeamSettings { N = 4, M = 2, MaxRounds = 2 });
        search.OnExpanded([C("", 0, "A: 5\n"), C("", 1, "2+2=4\n"), C("", 2, "A: 7\n"), C("", 3, "3+3=6\n")]);
        var next = Assert.IsType<ExpandNodes>(search.OnScored(Scores(("n0", 0.4), ("n1", 0.5), ("n2", 0.9), ("n3", 0.2))));
        Assert.Equal(["n0", "n2"], search.Completed);
        Assert.Equal(["n1", "n3"], next.Nodes);

        search.OnExpanded([C("n1", 0, "A: 5\n"), C("n1", 1, "A: 4\n"), C("n3", 0, "A: 6\n"), C("n3", 1, "6+1=7\n")]);
        var done = Assert.IsType<FinishRun>(search.OnScored(Scores(("n4", 0.7), ("n5", 0.3), ("n6", 0.2), ("n7", 0.8))));
        // answers: 5 (0.4 + 0.7 = 1.1), 7 (0.9), 4 (0.3), 6 (0.2): weighted picks 5, the first node carrying it.
        Assert.Equal("5", done.Answer);
        Assert.Equal("n0", done.Node);
        Assert.Equal("2+2=4\nA: 5\n", search.Nodes["n4"].Text);
    }

    [Fact]
    public void Stops_when_N_solutions_have_finished_or_nothing_is_left()
    {
        var (search, _) = BeamSearch.Start(new BeamSettings { N = 2, M = 1 });
        search.OnExpanded([C("", 0, "A: 1\n"), C("", 1, "A: 2\n")]);
        var done = Assert.IsType<FinishRun>(search.OnScored(Scores(("n0", 0.2), ("n1", 0.8))));
        Assert.Equal("2", done.Answer);
        Assert.Equal(1, search.Round);
    }

    [Fact]
    public void Lookahead_scores_each_candidate_at_the_end_of_the_rollout_written_with_its_step()
    {
        var (search, first) = BeamSearch.Start(new BeamSettings { N = 2, M = 1, Lookahead = 2 });
        var expand = Assert.IsType<ExpandNodes>(first);
        Assert.Equal((2, RequestKinds.Score), (expand.RolloutSteps, expand.ThenScore)); // rolled out and scored in the same round
        var score = Assert.IsType<ScoreTexts>(search.OnExpanded([C("", 0, "1+2=3\n") with { Rollout = "3*4=12\nA: 12\n" }, C("", 1, "A: 9\n")]));
        Assert.Equal("1+2=3\n3*4=12\nA: 12\n", score.Items.Single(i => i.Key == "n0").Text);
        Assert.Equal("A: 9\n", score.Items.Single(i => i.Key == "n1").Text); // a finished candidate is scored as it is
        var next = Assert.IsType<ExpandNodes>(search.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [0.9, 0.8, 0.7], ["n1"] = [0.3] }));
        Assert.Equal(0.7, search.Nodes["n0"].Score);   // score at the rollout's end
        Assert.Equal([0.9], search.Nodes["n0"].StepScores); // the node's own step
        Assert.Equal(["n0"], next.Nodes);
        Assert.Equal(2, next.RolloutSteps); // the next round's steps are rolled out too
    }

    [Fact]
    public void Lookahead_rolls_out_in_a_round_of_its_own_the_steps_that_came_without_a_rollout()
    {
        // What a Generator that wrote no rollouts (or a round stored before rollouts came with their steps) leads to.
        var (search, _) = BeamSearch.Start(new BeamSettings { N = 2, M = 1, Lookahead = 2 });
        var rollout = Assert.IsType<RollOut>(search.OnExpanded([C("", 0, "1+2=3\n"), C("", 1, "A: 9\n")]));
        Assert.Equal(["n0"], rollout.Nodes);          // the finished candidate needs no rollout
        Assert.Equal((2, 0.0), (rollout.Steps, rollout.Temperature));
        var score = Assert.IsType<ScoreTexts>(search.OnRolledOut([C("n0", 0, "3*4=12\nA: 12\n")]));
        Assert.Equal("1+2=3\n3*4=12\nA: 12\n", score.Items.Single(i => i.Key == "n0").Text);
        Assert.Equal("A: 9\n", score.Items.Single(i => i.Key == "n1").Text);
    }

    [Fact]
    public void Dvts_keeps_the_best_of_each_subtree()
    {
        var (search, _) = BeamSearch.Start(new BeamSettings { N = 4, M = 2, Diverse = true });
        search.OnExpanded([C("", 0, "a\n"), C("", 1, "b\n"), C("", 2, "c\n"), C("", 3, "d\n")]);
        var next = Assert.IsType<ExpandNodes>(search.OnScored(Scores(("n0", 0.1), ("n1", 0.2), ("n2", 0.9), ("n3", 0.8))));
        Assert.Equal(["n1", "n2"], next.Nodes);        // subtree 0: n1 over n0; subtree 1: n2 over n3
        search.OnExpanded([C("n1", 0, "e\n"), C("n1", 1, "f\n"), C("n2", 0, "g\n"), C("n2", 1, "h\n")]);
        Assert.Equal([0, 0, 1, 1], new[] { "n4", "n5", "n6", "n7" }.Select(k => search.Nodes[k].Group));
    }

    [Fact]
    public void The_state_survives_a_JSON_round_trip_and_continues_identically()
    {
        var (search, _) = BeamSearch.Start(new BeamSettings { N = 4, M = 2 });
        search.OnExpanded([C("", 0, "1\n"), C("", 1, "2\n"), C("", 2, "3\n"), C("", 3, "4\n")]);
        var restored = JsonSerializer.Deserialize<BeamSearch>(JsonSerializer.Serialize(search))!;
        var scores = Scores(("n0", 0.3), ("n1", 0.7), ("n2", 0.5), ("n3", 0.1));
        Assert.Equal(((ExpandNodes)search.OnScored(scores)).Nodes, ((ExpandNodes)restored.OnScored(scores)).Nodes);
    }

    [Theory]
    [InlineData(4, 3)]
    [InlineData(2, 4)]
    [InlineData(0, 1)]
    public void Impossible_settings_are_refused(int n, int m)
    {
        Assert.Throws<ArgumentException>(() => BeamSearch.Start(new BeamSettings { N = n, M = m }));
    }
}

public sealed class MctsTests
{
    private static Continuation C(string node, int sample, string text, string finish = "step") => new(node, sample, text, text.Length, finish);

    [Fact]
    public void Ucb1_is_mean_value_plus_the_exploration_bonus_and_unvisited_children_come_first()
    {
        var (search, _) = Mcts.Start(new MctsSettings { Exploration = 1.5 });
        var parent = new SearchNode { Visits = 10 };
        var child = new SearchNode { Visits = 2, ValueSum = 1.0 };
        Assert.Equal(0.5 + 1.5 * Math.Sqrt(Math.Log(10) / 2), search.Ucb1(parent, child), 12);
        Assert.Equal(double.PositiveInfinity, search.Ucb1(parent, new SearchNode()));
    }

    [Fact]
    public void Expansion_simulation_and_backup_follow_the_four_phases()
    {
        var (search, first) = Mcts.Start(new MctsSettings { Iterations = 3, Branching = 2, Exploration = 0.5 });
        Assert.Equal([""], ((ExpandNodes)first).Nodes);

        // Expansion: two children; one already answered, so only the other is simulated.
        var sim = Assert.IsType<RollOut>(search.OnExpanded([C("", 0, "1+1=2\n"), C("", 1, "A: 3\n")]));
        Assert.Equal(["n0"], sim.Nodes);
        Assert.Equal(0, sim.Steps);                         // to the end
        var score = Assert.IsType<ScoreTexts>(search.OnRolledOut([C("n0", 0, "2*2=4\nA: 4\n")]));
        Assert.Equal("1+1=2\n2*2=4\nA: 4\n", score.Items[0].Text);
        Assert.Equal("4", search.Nodes["n0"].RolloutAnswer);

        // Backup: each simulated value goes to the child and the root.
        var next = Assert.IsType<ExpandNodes>(search.OnScored(new Dictionary<string, IReadOnlyList<double>>
        {
            ["n0"] = [0.9, 0.8, 0.6], ["n1"] = [0.2],
        }));
        Assert.Equal(2, search.Nodes[""].Visits);
        Assert.Equal(0.8, search.Nodes[""].ValueSum, 12);
        Assert.Equal(0.6, search.Nodes["n0"].MeanValue, 12);
        Assert.Equal(0.2, search.Nodes["n1"].MeanValue, 12);

        // Selection: n0 has the higher UCB1 (same visits, higher value); it is expanded next.
        Assert.Equal(["n0"], next.Nodes);
        search.OnExpanded([C("n0", 0, "2*2=4\n"), C("n0", 1, "2*2=5\n")]);
        search.OnRolledOut([C("n2", 0, "A: 4\n"), C("n3", 0, "A: 5\n")]);
        search.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n2"] = [0.9, 0.9, 0.95], ["n3"] = [0.9, 0.1, 0.05] });
        Assert.Equal(4, search.Nodes[""].Visits);
        Assert.Equal(3, search.Nodes["n0"].Visits);
        Assert.Equal((0.6 + 0.95 + 0.05) / 3, search.Nodes["n0"].MeanValue, 12);
        Assert.Equal(2, search.Iteration);
    }

    [Fact]
    public void Stops_after_its_iterations_and_answers_by_visits_or_by_value()
    {
        var (search, _) = Mcts.Start(new MctsSettings { Iterations = 1, Branching = 2 });
        search.OnExpanded([C("", 0, "1+1=2\n"), C("", 1, "1+1=3\n")]);
        search.OnRolledOut([C("n0", 0, "A: 2\n"), C("n1", 0, "A: 3\n")]);
        // Hand-set statistics: n0 visited more, n1 higher mean.
        var done = Assert.IsType<FinishRun>(search.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [0.6], ["n1"] = [0.7] }));
        Assert.Equal("n1", done.Node); // equal visits: higher value breaks the tie
        search.Backup("n0", 0.1);
        Assert.Equal("2", search.Finish().Answer);                                   // by visits: n0 (2 visits)
        search.Settings = search.Settings with { SelectByValue = true };
        Assert.Equal("3", search.Finish().Answer);                                   // by value: n1 (0.7 > 0.35)
    }

    [Fact]
    public void A_token_budget_ends_the_search_early()
    {
        var (search, _) = Mcts.Start(new MctsSettings { Iterations = 100, Branching = 1, TokenBudget = 10 });
        search.OnExpanded([C("", 0, "123456789012\n")]);
        search.OnRolledOut([C("n0", 0, "A: 1\n")]);
        Assert.IsType<FinishRun>(search.OnScored(new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [0.5] }));
    }

    [Fact]
    public void The_state_survives_a_JSON_round_trip()
    {
        var (search, _) = Mcts.Start(new MctsSettings { Iterations = 5, Branching = 2 });
        search.OnExpanded([C("", 0, "a\n"), C("", 1, "b\n")]);
        search.OnRolledOut([C("n0", 0, "A: 1\n"), C("n1", 0, "A: 2\n")]);
        var restored = JsonSerializer.Deserialize<Mcts>(JsonSerializer.Serialize(search))!;
        var scores = new Dictionary<string, IReadOnlyList<double>> { ["n0"] = [0.2], ["n1"] = [0.7] };
        Assert.Equal(((ExpandNodes)search.OnScored(scores)).Nodes, ((ExpandNodes)restored.OnScored(scores)).Nodes);
    }
}

public sealed class SearchPlanTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 2)]
    [InlineData(8, 2)]
    [InlineData(12, 3)]
    [InlineData(16, 4)]
    [InlineData(64, 8)]
    [InlineData(17, 1)]
    public void The_default_beam_width_is_the_largest_divisor_of_N_up_to_its_square_root(int n, int width)
    {
        Assert.Equal(width, ControllerRegistry.DefaultWidth(n));
    }

    [Fact]
    public void Plans_become_controller_settings()
    {
        var m = Assert.IsType<Mcts>(ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "mcts", N = 16, SearchTokenBudget = 500, SelectByValue = true }));
        Assert.Equal((4, 4, 500L, true, 1.0), (m.Settings.Branching, m.Settings.Iterations, m.Settings.TokenBudget, m.Settings.SelectByValue, m.Settings.Exploration));
        Assert.Equal(4, Assert.IsType<ExpandNodes>(m.Start()).Samples);

        var dvts = Assert.IsType<BeamSearch>(ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "dvts", N = 64 }));
        Assert.Equal((64, 8, true, 40), (dvts.Settings.N, dvts.Settings.M, dvts.Settings.Diverse, dvts.Settings.MaxRounds));
        var lookahead = Assert.IsType<BeamSearch>(ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "lookahead", N = 16, BeamWidth = 4, MaxRounds = 10 }));
        Assert.Equal((4, 1, 10), (lookahead.Settings.M, lookahead.Settings.Lookahead, lookahead.Settings.MaxRounds));
        Assert.Throws<ArgumentException>(() => ControllerRegistry.Create(new StrategyPlan { Temperature = DefaultPolicy.SamplingTemperature, Strategy = "beam-search", N = 16, BeamWidth = 3 }));
        Assert.Throws<ArgumentException>(() => ControllerRegistry.Create(new StrategyPlan { Strategy = "no-such-strategy" }));
    }
}
