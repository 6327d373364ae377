using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Platform.Reasoning.Answers;
using Platform.Reasoning.Policy;
using Spectre.Console;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>ttc policy fit --runs DIR</c>: a compute-optimal policy fitted offline from a folder of
/// <c>ttc eval --db</c> databases (one configuration each, the same problems): oracle difficulty bins
/// from the many-sample run's pass@1, then per bin and budget the best configuration, scored by 2-fold
/// cross-validation over the problems, and the compute-optimal curve against weighted best-of-N.
/// </summary>
public static class PolicyCommand
{
    public static Command Create()
    {
        var runs = new Option<DirectoryInfo>("--runs") { Description = "Folder of ttc eval SQLite databases (*.db), one configuration each", Required = true };
        var oracle = new Option<string>("--oracle") { Description = "Database (name without .db) whose samples give each problem's pass@1 (64 or more samples)", DefaultValueFactory = _ => "majority-64" };
        var budgets = new Option<string>("--budgets") { Description = "Budget levels (N), comma-separated", DefaultValueFactory = _ => "1,4,16,64" };
        var generator = new Option<string>("--generator") { Description = "Only configurations with this generator", DefaultValueFactory = _ => "gen-small" };
        var verifier = new Option<string>("--verifier") { Description = "Only configurations with this verifier", DefaultValueFactory = _ => "prm" };
        var output = new Option<FileInfo?>("--out") { Description = "Write the fitted policy (JSON)" };
        var fit = new Command("fit", "Fit a compute-optimal policy from eval databases and report it with 2-fold cross-validation");
        foreach (var o in new Option[] { runs, oracle, budgets, generator, verifier, output })
        {
            fit.Options.Add(o);
        }

        fit.SetAction(parse =>
        {
            var folder = parse.GetValue(runs)!;
            var levels = parse.GetValue(budgets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
            var oraclePath = Path.Combine(folder.FullName, parse.GetValue(oracle) + ".db");
            if (!File.Exists(oraclePath))
            {
                Console.Error.WriteLine($"error: --oracle: {oraclePath} does not exist");
                return 2;
            }

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Profile.Width = 160; // tables in logs and files stay on one line per row
            }

            var passAt1 = PassAt1(oraclePath);
            var texts = passAt1.Keys.ToList();
            var bins = texts.Zip(DifficultyBins.Oracle([.. texts.Select(t => passAt1[t].Rate)])).ToDictionary(p => p.First, p => p.Second);
            var samples = passAt1.Values.Min(v => v.Samples);
            var outcomes = new List<SweepOutcome>();
            var configs = new List<(string File, string Key, int N)>();
            foreach (var db in folder.GetFiles("*.db").OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                var rows = Outcomes(db.FullName, parse.GetValue(generator)!, parse.GetValue(verifier)!, bins);
                if (rows.Count == 0 || configs.Any(c => c.Key == rows[0].Strategy && c.N == rows[0].Budget))
                {
                    continue; // another generator or verifier, or the same configuration twice (beam M=√N and M=4 at N=16)
                }

                configs.Add((Path.GetFileNameWithoutExtension(db.Name), rows[0].Strategy, rows[0].Budget));
                outcomes.AddRange(rows);
            }

            var policy = PolicyFitter.Fit(outcomes, levels);
            var table = new Table().AddColumns("bin", "problems", "budget N", "strategy", "its N", "accuracy", "2-fold accuracy", "tokens / problem");
            foreach (var c in policy)
            {
                table.AddRow($"{c.Bin}", $"{c.Problems}", $"{c.Budget}", c.Strategy, $"{c.StrategyBudget}", $"{100 * c.Accuracy:0.0}%",
                    c.CrossValidatedAccuracy is { } a ? $"{100 * a:0.0}%" : "-", $"{c.MeanTokens:0}");
            }

            AnsiConsole.MarkupLineInterpolated($"{configs.Count} configurations, {texts.Count} problems; oracle bins from pass@1 over {samples}+ samples of {parse.GetValue(oracle)}");
            AnsiConsole.Write(table);

            // The compute-optimal curve: per budget, every bin's choice, scored on held-out halves; against weighted BoN at that N.
            var curve = new Table().AddColumns("budget N", "compute-optimal (2-fold)", "tokens / problem", "weighted BoN", "tokens / problem", "majority", "tokens / problem");
            foreach (var n in levels)
            {
                var cells = policy.Where(c => c.Budget == n && c.CrossValidatedAccuracy is not null).ToList();
                var problems = cells.Sum(c => c.Problems);
                var accuracy = cells.Sum(c => c.CrossValidatedAccuracy!.Value * c.Problems) / Math.Max(1, problems);
                var tokens = cells.Sum(c => c.CrossValidatedTokens!.Value * c.Problems) / Math.Max(1, problems);
                curve.AddRow($"{n}", $"{100 * accuracy:0.0}%", $"{tokens:0}", Baseline(outcomes, "weighted-best-of-n", n), Tokens(outcomes, "weighted-best-of-n", n),
                    Baseline(outcomes, "self-consistency", n), Tokens(outcomes, "self-consistency", n));
            }

            AnsiConsole.Write(curve);
            if (parse.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, JsonSerializer.Serialize(new { oracle = parse.GetValue(oracle), configurations = configs.Select(c => c.File), choices = policy },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            }

            return 0;
        });

        var command = new Command("policy", "Compute-optimal policies");
        command.Subcommands.Add(fit);
        return command;
    }

    private static string Baseline(List<SweepOutcome> outcomes, string strategy, int n)
    {
        var rows = outcomes.Where(o => o.Strategy == strategy && o.Budget == n).ToList();
        return rows.Count == 0 ? "-" : $"{100.0 * rows.Count(o => o.Correct) / rows.Count:0.0}%";
    }

    private static string Tokens(List<SweepOutcome> outcomes, string strategy, int n)
    {
        var rows = outcomes.Where(o => o.Strategy == strategy && o.Budget == n).ToList();
        return rows.Count == 0 ? "-" : $"{rows.Average(o => o.Tokens):0}";
    }

    /// <summary>Per problem text: the share of its samples whose answer is right, and how many samples.</summary>
    private static Dictionary<string, (double Rate, int Samples)> PassAt1(string path)
    {
        using var connection = Open(path);
        using var query = connection.CreateCommand();
        query.CommandText = "select p.text, p.reference_answer, c.extracted_answer from candidates c join runs r on r.id = c.run_id join problems p on p.id = r.problem_id";
        var counts = new Dictionary<string, (int Right, int All)>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            var text = reader.GetString(0);
            var right = !reader.IsDBNull(1) && !reader.IsDBNull(2) && AnswerEquivalence.Equivalent(reader.GetString(1), reader.GetString(2));
            var (r, a) = counts.GetValueOrDefault(text);
            counts[text] = (r + (right ? 1 : 0), a + 1);
        }

        return counts.ToDictionary(p => p.Key, p => ((double)p.Value.Right / p.Value.All, p.Value.All));
    }

    /// <summary>One outcome per run of the database, for problems that have an oracle bin; empty for another generator or verifier.</summary>
    private static List<SweepOutcome> Outcomes(string path, string generator, string verifier, Dictionary<string, int> bins)
    {
        using var connection = Open(path);
        using var query = connection.CreateCommand();
        query.CommandText = "select p.text, r.plan_json, coalesce(r.correct, 0), r.generated_tokens from runs r join problems p on p.id = r.problem_id where r.status = 'completed'";
        var rows = new List<SweepOutcome>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            using var plan = JsonDocument.Parse(reader.GetString(1));
            var p = plan.RootElement;
            if (p.GetProperty("generatorModel").GetString() != generator ||
                (p.GetProperty("strategy").GetString() is not ("greedy" or "self-consistency") && p.GetProperty("verifierModel").GetString() != verifier))
            {
                return [];
            }

            if (!bins.TryGetValue(reader.GetString(0), out var bin))
            {
                continue;
            }

            var key = p.GetProperty("strategy").GetString()!;
            if (p.GetProperty("beamWidth").GetInt32() is > 0 and var m)
            {
                key += $":M={m}";
            }

            if (p.GetProperty("lookahead").GetInt32() is > 0 and var k)
            {
                key += $":k={k}";
            }

            rows.Add(new SweepOutcome(reader.GetString(0), bin, key, p.GetProperty("n").GetInt32(), reader.GetInt64(2) == 1, reader.GetInt64(3)));
        }

        return rows;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        return connection;
    }
}
