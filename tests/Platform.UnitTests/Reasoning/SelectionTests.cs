using Platform.Reasoning.Metrics;
using Platform.Reasoning.Selection;

namespace Platform.UnitTests.Reasoning;

public sealed class SelectionTests
{
    private static string?[] A(string answers) => answers.Split(',').Select(a => a == "_" ? null : a).ToArray();

    [Theory]
    [InlineData("1,2,2,3", 1)]          // 2 wins, first seen at index 1
    [InlineData("1,2,1,2", 0)]          // tie: the answer seen first
    [InlineData("_,5,_,5,6", 1)]        // missing answers do not vote
    [InlineData("7", 0)]
    public void Majority_vote(string answers, int expected)
    {
        Assert.Equal(expected, AnswerSelection.Majority(A(answers)));
    }

    [Fact]
    public void Majority_of_no_answers_is_nothing()
    {
        Assert.Null(AnswerSelection.Majority(A("_,_")));
        Assert.Null(AnswerSelection.Majority([]));
    }

    [Theory]
    [InlineData("1,2,3", "0.2,0.9,0.5", 1)]
    [InlineData("1,2,3", "0.9,0.9,0.5", 0)]      // tie: lower index
    [InlineData("_,2,3", "0.99,0.1,0.2", 2)]     // a candidate without an answer cannot win
    public void Best_of_n(string answers, string scores, int expected)
    {
        Assert.Equal(expected, AnswerSelection.Best(A(answers), scores.Split(',').Select(double.Parse).ToList()));
    }

    [Theory]
    [InlineData("1,2,2", "0.9,0.5,0.5", 1)]          // 2: 1.0 beats 1: 0.9
    [InlineData("1,2,2", "0.9,0.4,0.4", 0)]          // 1: 0.9 beats 2: 0.8
    [InlineData("1,2,1,2", "0.3,0.2,0.1,0.2", 0)]    // tie 0.4 each: seen first
    [InlineData("_,4", "5.0,0.1", 1)]
    public void Weighted_best_of_n_sums_scores_per_answer(string answers, string scores, int expected)
    {
        Assert.Equal(expected, AnswerSelection.Weighted(A(answers), scores.Split(',').Select(double.Parse).ToList()));
    }

    [Fact]
    public void Scores_and_answers_must_pair_up()
    {
        Assert.Throws<ArgumentException>(() => AnswerSelection.Weighted(A("1,2"), [0.5]));
    }

    [Theory]
    [InlineData("last", "0.9,0.2,0.7", 0.7)]
    [InlineData("min", "0.9,0.2,0.7", 0.2)]
    [InlineData("prod", "0.5,0.5,0.8", 0.2)]
    [InlineData("mean", "0.9,0.2,0.7", 0.6)]
    [InlineData("product", "1,0.25", 0.25)]
    public void Step_aggregation(string name, string steps, double expected)
    {
        var aggregation = StepAggregations.Parse(name);
        Assert.Equal(expected, aggregation.Aggregate(steps.Split(',').Select(double.Parse).ToList()), 10);
    }

    [Fact]
    public void Aggregation_names_are_checked_and_empty_candidates_score_zero()
    {
        var error = Assert.Throws<ArgumentException>(() => StepAggregations.Parse("max"));
        Assert.Contains("last, min, prod, mean", error.Message);
        Assert.Equal(0, StepAggregation.Min.Aggregate([]));
    }

    [Theory]
    [InlineData(16, 0, 1, 0.0)]
    [InlineData(16, 16, 1, 1.0)]
    [InlineData(16, 4, 1, 0.25)]
    [InlineData(4, 1, 2, 0.5)]            // 1 - C(3,2)/C(4,2) = 1 - 3/6
    [InlineData(16, 1, 16, 1.0)]
    [InlineData(10, 3, 5, 0.9166666667)]  // 1 - C(7,5)/C(10,5) = 1 - 21/252
    public void Pass_at_k_is_the_unbiased_estimate(int n, int c, int k, double expected)
    {
        Assert.Equal(expected, PassAtK.Estimate(n, c, k), 8);
    }

    [Theory]
    [InlineData("0.1,0.4,0.35,0.8", "0,0,1,1", 0.75)]
    [InlineData("0.9,0.8,0.1", "1,1,0", 1.0)]
    [InlineData("0.1,0.2,0.9", "1,1,0", 0.0)]
    [InlineData("0.5,0.5", "1,0", 0.5)]          // a tie counts one half
    public void Roc_auc(string scores, string labels, double expected)
    {
        var auc = RocAuc.Compute(scores.Split(',').Select(double.Parse).ToList(), labels.Split(',').Select(l => l == "1").ToList());
        Assert.Equal(expected, auc!.Value, 10);
    }

    [Fact]
    public void Roc_auc_needs_both_classes()
    {
        Assert.Null(RocAuc.Compute([0.1, 0.2], [true, true]));
    }
}
