using Platform.Operations.Sweeps;

namespace Platform.UnitTests;

/// <summary>The calibration sweep's grid: cells per budget, their eval options and batches, and the budget list's errors.</summary>
public sealed class SweepGridTests
{
    [Theory]
    [InlineData("4", 11)] // greedy + bon, majority, weighted, beam √N (= 2), beam M=4, lookahead, dvts, confidence vote + revisions 2:2, 1:4
    [InlineData("16", 16)] // greedy + bon, majority, weighted, beam √N (= 4, so no M=4 cell), lookahead, dvts, confidence vote, deepconf, majority stopping early, weighted stopping early (two rules) + revisions 8:2, 4:4, 1:16, 8:2 stopping early
    [InlineData("64", 16)] // greedy + the same eleven + beam M=4 + revisions 32:2, 8:8 (1:64 is left out), 32:2 stopping early
    [InlineData("4,16,64", 41)] // one greedy cell for all budgets
    public void The_grid_has_one_cell_per_configuration(string budgets, int cells) =>
        Assert.Equal(cells, SweepGrid.Cells(SweepGrid.ParseBudgets(budgets, "--budgets"), null).Count);

    [Theory]
    [InlineData("greedy-1", "--strategy greedy")]
    [InlineData("beam-m4-64", "--strategy beam-search --n 64 --beam-width 4")]
    [InlineData("lookahead1-16", "--strategy lookahead --n 16 --lookahead 1")]
    [InlineData("revisions-p32-64", "--strategy sequential-revisions --n 64 --chains 32 --chain-length 2")]
    [InlineData("revisions-p32-64-stop", "--strategy sequential-revisions --n 64 --chains 32 --chain-length 2 --early-stop rule=weight,wave=1,weight=0.5,share=0.5,level=0.95,give-up-after=16,give-up-weight=0.5")]
    [InlineData("deepconf-16", "--strategy deepconf --n 16 --confidence keep=90,window=8")]
    [InlineData("majority-stop-64", "--strategy self-consistency --n 64 --early-stop rule=beta,wave=4,weight=0.5,share=0.5,level=0.95,give-up-after=0,give-up-weight=0")]
    public void A_cell_runs_as_these_eval_options(string name, string args) =>
        Assert.Equal(args, string.Join(' ', SweepGrid.Cells([4, 16, 64], null).Single(c => c.Name == name).Args));

    [Fact]
    public void A_cell_becomes_a_batch_with_its_strategy_and_parameters()
    {
        var cell = SweepGrid.Cells([16], null).Single(c => c.Name == "revisions-p8-16");
        var batch = cell.ToBatch(Guid.NewGuid(), "sweep", [new() { Text = "1+2", ReferenceAnswer = "3" }], 7, DateTimeOffset.UnixEpoch);
        Assert.Equal(("sequential-revisions", 16, 8, 2, 7), (batch.Strategy, batch.N!.Value, batch.Chains!.Value, batch.ChainLength!.Value, batch.Seed!.Value));
        Assert.Null(SweepGrid.Cells([4], null)[0].ToBatch(Guid.NewGuid(), "g", [], 7, DateTimeOffset.UnixEpoch).N); // greedy takes no N
    }

    [Fact]
    public void Strategies_limit_the_grid() =>
        Assert.Equal(["majority-4", "weighted-bon-4"], SweepGrid.Cells([4], SweepGrid.ParseStrategies("self-consistency, weighted-best-of-n")).Select(c => c.Name));

    [Theory]
    [InlineData("4,x")]
    [InlineData("0")]
    [InlineData("2000")]
    [InlineData(",")]
    public void Bad_budgets_name_the_setting(string text) =>
        Assert.Contains("Router:Sweeps:Budgets", Assert.Throws<FormatException>(() => SweepGrid.ParseBudgets(text, "Router:Sweeps:Budgets")).Message);
}
