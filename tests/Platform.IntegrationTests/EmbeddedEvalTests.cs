using Microsoft.EntityFrameworkCore;
using System.Text.Json;
using TtcCli = Platform.Cli.Commands.Cli;

namespace Platform.IntegrationTests;

/// <summary>`ttc eval` runs the whole platform in one process (in-memory bus, SQLite) and writes the summary JSON.</summary>
public sealed class EmbeddedEvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttc-eval").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("greedy", 1)]
    [InlineData("self-consistency", 4)]
    [InlineData("best-of-n", 4)]
    [InlineData("weighted-best-of-n", 4)]
    public async Task Eval_on_a_small_file_writes_the_summary(string strategy, int n)
    {
        var input = Path.Combine(_dir, "problems.jsonl");
        var lines = File.ReadLines(Repository.Path("data/arith/heldout.jsonl")).Take(12).ToList();
        lines.Insert(3, "{ this line is broken");
        await File.WriteAllLinesAsync(input, lines);
        var json = Path.Combine(_dir, "out.json");

        var code = await TtcCli.Build().Parse(["eval", input, "--strategy", strategy, "--n", n.ToString(), "--json", json, "--db", Path.Combine(_dir, "eval.db")]).InvokeAsync();

        Assert.Equal(0, code);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = summary.RootElement;
        Assert.Equal(12, root.GetProperty("problems").GetInt32());
        Assert.Equal(strategy, root.GetProperty("strategy").GetString());
        var correct = root.GetProperty("correct").GetInt32();
        Assert.Equal(correct / 12.0, root.GetProperty("accuracy").GetDouble(), 6);
        Assert.True(root.GetProperty("generated_tokens").GetInt64() > 0);
        Assert.True(root.GetProperty("flops").GetDouble() > 0);
        var levels = root.GetProperty("by_level").EnumerateObject().ToList();
        Assert.Equal(12, levels.Sum(l => l.Value.GetProperty("problems").GetInt32()));
        Assert.Equal(correct, levels.Sum(l => l.Value.GetProperty("correct").GetInt32()));
    }

    [Fact]
    public async Task Eval_refuses_a_bad_strategy_with_the_field_named()
    {
        var json = Path.Combine(_dir, "out.json");
        var code = await TtcCli.Build().Parse(["eval", Repository.Path("data/arith/heldout.jsonl"), "--limit", "3", "--n", "5000", "--json", json, "--db", Path.Combine(_dir, "bad.db")]).InvokeAsync();
        Assert.Equal(1, code);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Contains("N:", summary.RootElement.GetProperty("rejection").GetString());
    }

    [Fact]
    public async Task A_policy_is_fitted_from_eval_databases_with_every_problem_in_one_bin_per_budget()
    {
        var runs = Directory.CreateDirectory(Path.Combine(_dir, "runs")).FullName;
        var input = Path.Combine(_dir, "problems.jsonl");
        await File.WriteAllLinesAsync(input, File.ReadLines(Repository.Path("data/arith/heldout.jsonl")).Take(16));
        foreach (var (name, strategy, n) in new[] { ("greedy-1", "greedy", 1), ("majority-8", "self-consistency", 8), ("weighted-bon-4", "weighted-best-of-n", 4) })
        {
            var code = await TtcCli.Build().Parse(["eval", input, "--strategy", strategy, "--n", n.ToString(), "--seed", "3",
                "--json", Path.Combine(runs, name + ".json"), "--db", Path.Combine(runs, name + ".db")]).InvokeAsync();
            Assert.Equal(0, code);
        }

        var output = Path.Combine(_dir, "policy.json");
        var fit = await TtcCli.Build().Parse(["policy", "fit", "--runs", runs, "--oracle", "majority-8", "--budgets", "1,4,8", "--out", output]).InvokeAsync();

        Assert.Equal(0, fit);
        using var policy = JsonDocument.Parse(await File.ReadAllTextAsync(output));
        var choices = policy.RootElement.GetProperty("choices").EnumerateArray().ToList();
        // Three runs, and the smaller N of the sampling strategies subsampled from them: majority at 1 and 4 from
        // majority-8, weighted best-of-N at 1 from weighted-bon-4.
        var configurations = policy.RootElement.GetProperty("configurations").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(6, configurations.Count);
        Assert.Contains("majority-8 (first 4)", configurations);
        Assert.Contains("weighted-bon-4 (first 1)", configurations);
        foreach (var budget in new[] { 1, 4, 8 })
        {
            var cells = choices.Where(c => c.GetProperty("budget").GetInt32() == budget).ToList();
            Assert.Equal(16, cells.Sum(c => c.GetProperty("problems").GetInt32())); // every problem in exactly one bin
            Assert.All(cells, c => Assert.InRange(c.GetProperty("strategy_budget").GetInt32(), 1, budget));
            Assert.All(cells, c => Assert.InRange(c.GetProperty("accuracy").GetDouble(), 0, 1));
        }

        // At budget 1 only one-sample configurations fit: greedy, or one sampled solution (subsampled from a larger run).
        Assert.All(choices.Where(c => c.GetProperty("budget").GetInt32() == 1),
            c => Assert.Contains(c.GetProperty("strategy").GetString(), new[] { "greedy", "self-consistency", "best-of-n", "weighted-best-of-n" }));

        // The report over the same summaries: a table row per configuration and two PNG plots.
        var reportDir = Path.Combine(_dir, "report");
        // (greedy stands in for a larger model's run: the other series against it at matched FLOPs.)
        Assert.Equal(0, await TtcCli.Build().Parse(["report", "--eval", .. Directory.GetFiles(runs, "*.json"), "--large", Path.Combine(runs, "greedy-1.json"), "--out", reportDir]).InvokeAsync());
        var parts = (await File.ReadAllTextAsync(Path.Combine(reportDir, "report.md"))).Split("## Against greedy-1");
        Assert.Equal(2, parts.Length);
        Assert.Equal(3, parts[0].Split('\n').Count(l => l.StartsWith("| greedy |") || l.StartsWith("| majority |") || l.StartsWith("| weighted-bon |")));
        Assert.Equal(["| majority |", "| weighted-bon |"], parts[1].Split('\n').Where(l => l.StartsWith("| majority |") || l.StartsWith("| weighted-bon |") || l.StartsWith("| greedy |")).Select(l => l[..(l.IndexOf('|', 1) + 1)]));
        foreach (var png in new[] { "accuracy-vs-tokens.png", "accuracy-vs-flops.png", "small-vs-large.png" })
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(reportDir, png));
            Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{png} is not a PNG");
        }

        // With probes: the policy file the Router follows, then compute-optimal runs by it.
        var file = Path.Combine(_dir, "models-policy.json");
        Assert.Equal(0, await TtcCli.Build().Parse(["policy", "fit", "--runs", runs, "--oracle", "majority-8", "--budgets", "4,8", "--probes", "weighted-bon-4", "--out", file]).InvokeAsync());
        var shipped = Platform.Reasoning.Policy.ComputeOptimalPolicy.Parse(await File.ReadAllTextAsync(file));
        Assert.Equal((4, 4), (shipped.Probes, shipped.Bounds.Length));
        var db = Path.Combine(_dir, "co.db");
        var summary = Path.Combine(_dir, "co.json");
        Assert.Equal(0, await TtcCli.Build().Parse(["eval", input, "--strategy", "compute-optimal", "--n", "8", "--policy-file", file, "--seed", "3", "--json", summary, "--db", db]).InvokeAsync());
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(summary));
        Assert.Equal(16, report.RootElement.GetProperty("problems").GetInt32());
        var predicted = await Row(db, "select count(*), sum(difficulty_source = 'predicted'), sum(status = 'completed') from runs");
        Assert.Equal([16L, 16L, 16L], predicted); // every run probed, then followed the policy

        // Known (oracle) difficulty: a policy fitted on oracle bins, and each problem's bin from the many-sample run.
        var oraclePolicy = Path.Combine(_dir, "oracle-policy.json");
        Assert.Equal(0, await TtcCli.Build().Parse(["policy", "fit", "--runs", runs, "--oracle", "majority-8", "--budgets", "4,8", "--known-difficulty", "--out", oraclePolicy]).InvokeAsync());
        Assert.True(Platform.Reasoning.Policy.ComputeOptimalPolicy.Parse(await File.ReadAllTextAsync(oraclePolicy)).NeedsKnownDifficulty);
        var oracleDb = Path.Combine(_dir, "oracle.db");
        Assert.Equal(0, await TtcCli.Build().Parse(["eval", input, "--strategy", "compute-optimal", "--n", "8", "--policy-file", oraclePolicy, "--difficulty", "oracle",
            "--oracle-runs", Path.Combine(runs, "majority-8.db"), "--seed", "3", "--json", Path.Combine(_dir, "oracle.json"), "--db", oracleDb]).InvokeAsync());
        var oracle = await Row(oracleDb, "select count(*), sum(difficulty_source = 'oracle'), sum(status = 'completed'), sum(plan_json like '%\"probes\":0%'), count(distinct difficulty_bin) from runs");
        Assert.Equal([16L, 16L, 16L, 16L], oracle[..4]); // no probes: the bin was known
        Assert.True(oracle[4] >= 2, "the problems fall in more than one oracle bin");

        // Without --oracle-runs the CLI says what is missing.
        Assert.Equal(2, await TtcCli.Build().Parse(["eval", input, "--strategy", "compute-optimal", "--difficulty", "oracle", "--json", Path.Combine(_dir, "x.json")]).InvokeAsync());
    }

    /// <summary>The one row of an aggregate query over an eval database, as integers.</summary>
    private static async Task<long[]> Row(string database, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = sql;
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return [.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64)];
    }

    [Fact]
    public async Task A_sweep_is_recorded_cell_by_cell_and_resumed_without_redoing_finished_cells()
    {
        var output = Path.Combine(_dir, "sweep");
        string[] run = ["sweep", "run", "--key", "calibration-test", "--data", Repository.Path("data/arith/calibration.jsonl"), "--limit", "4", "--budgets", "2",
            "--strategies", "greedy,self-consistency", "--out", output];
        Assert.Equal(0, await TtcCli.Build().Parse(run).InvokeAsync());
        var database = Path.Combine(output, "sweep.db");
        Storage.PlatformDbContext Open() => new(Storage.PlatformDbContextOptions.Create(Storage.StorageProvider.Sqlite, $"Data Source={database}"));
        DateTimeOffset greedyDone;
        await using (var db = Open())
        {
            var cells = await db.SweepCells.OrderBy(c => c.Name).ToListAsync();
            Assert.Equal(["greedy-1", "majority-2"], cells.Select(c => c.Name));
            Assert.All(cells, c => Assert.Equal(("completed", 4), (c.Status, c.Problems)));
            Assert.All(cells, c => Assert.True(File.Exists(Path.Combine(output, c.Name + ".db")) && c.BatchId is not null && c.GeneratedTokens > 0));
            greedyDone = cells[0].CompletedAt!.Value;

            // A crash in the middle of the second cell: left running, its summary never written.
            cells[1].Status = "running";
            cells[1].CompletedAt = null;
            await db.SaveChangesAsync();
            File.Delete(Path.Combine(output, "majority-2.json"));
        }

        Assert.Equal(0, await TtcCli.Build().Parse(run).InvokeAsync());
        await using (var db = Open())
        {
            var cells = await db.SweepCells.OrderBy(c => c.Name).ToListAsync();
            Assert.Equal(greedyDone, cells[0].CompletedAt); // the finished cell was kept
            Assert.Equal("completed", cells[1].Status);    // the interrupted one ran again
            Assert.True(File.Exists(Path.Combine(output, "majority-2.json")));
            Assert.Equal("completed", (await db.Sweeps.SingleAsync()).Status);
        }

        Assert.Equal(0, await TtcCli.Build().Parse(["sweep", "status", "--out", output]).InvokeAsync());
        Assert.Equal(1, await TtcCli.Build().Parse(["sweep", "status", "no-such-sweep", "--out", output]).InvokeAsync());
    }

    [Fact]
    public async Task Policy_fit_names_a_missing_oracle()
    {
        var code = await TtcCli.Build().Parse(["policy", "fit", "--runs", _dir, "--oracle", "nothing-here"]).InvokeAsync();
        Assert.Equal(2, code);
    }
}
