using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Platform.Reasoning.Answers;
using Platform.Reasoning.Planning;
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
        var output = new Option<FileInfo?>("--out") { Description = "Write the fitted policy (JSON; with --probes, the file the Router's compute-optimal strategy follows)" };
        var probes = new Option<string?>("--probes")
        {
            Description = "Database (name without .db) of k verifier-scored samples per problem (e.g. weighted-bon-4): difficulty is predicted from their mean score, and the policy is fitted on predicted bins",
        };
        var bounds = new Option<FileInfo?>("--bounds") { Description = "With --probes: take the bin bounds from this policy file instead of fitting them (to measure a shipped policy's bins on other problems)" };
        var knownDifficulty = new Option<bool>("--known-difficulty")
        {
            Description = "Without --probes: write (--out) a policy for problems submitted with their difficulty bin (ttc eval --difficulty oracle), fitted on oracle bins",
        };
        var exclude = new Option<string?>("--exclude") { Description = "Leave out the configurations of these strategies (comma-separated), e.g. to fit a policy without sequential-revisions" };
        var fit = new Command("fit", "Fit a compute-optimal policy from eval databases and report it with 2-fold cross-validation");
        foreach (var o in new Option[] { runs, oracle, budgets, generator, verifier, output, probes, bounds, exclude, knownDifficulty })
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
            double[]? predictedBounds = null;
            var probeTokens = 0.0;
            var probeCount = 0;
            var probeFlops = 0.0;
            if (parse.GetValue(knownDifficulty) && parse.GetValue(probes) is not null)
            {
                Console.Error.WriteLine("error: --known-difficulty fits on oracle bins; --probes fits on predicted ones: give one");
                return 2;
            }

            if (parse.GetValue(probes) is { } probeRun)
            {
                var probePath = Path.Combine(folder.FullName, probeRun + ".db");
                if (!File.Exists(probePath))
                {
                    Console.Error.WriteLine($"error: --probes: {probePath} does not exist");
                    return 2;
                }

                var scores = ProbeScores(probePath);
                probeTokens = scores.Values.Average(v => v.Tokens);
                probeFlops = scores.Values.Average(v => v.Flops);
                probeCount = scores.Values.Min(v => v.Count);
                var known = texts.Where(scores.ContainsKey).ToList();
                predictedBounds = parse.GetValue(bounds) is { } shipped
                    ? ComputeOptimalPolicy.Parse(File.ReadAllText(shipped.FullName)).Bounds
                    : DifficultyBins.FitPredictor([.. known.Select(t => scores[t].Mean)], [.. known.Select(t => bins[t])]);
                var predicted = known.ToDictionary(t => t, t => DifficultyBins.Assign(scores[t].Mean, predictedBounds));
                var (exact, near) = DifficultyBins.Agreement([.. known.Select(t => predicted[t])], [.. known.Select(t => bins[t])]);
                AnsiConsole.MarkupLineInterpolated(
                    $"predicted bins from the mean score of {probeCount} probes ({probeRun}): equal to the oracle bin for {100 * exact:0.0}% of {known.Count} problems, within one for {100 * near:0.0}%");
                bins = predicted; // the policy is fitted on the bins it will see when it routes
            }

            var excluded = (parse.GetValue(exclude) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            var outcomes = new List<SweepOutcome>();
            var configs = new List<(string File, string Key, int N)>();
            var steps = new Dictionary<(string, int), PolicyStep>();
            var measured = new List<SweepOutcome>(); // as run, for the baselines
            foreach (var db in folder.GetFiles("*.db").OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                var rows = Outcomes(db.FullName, parse.GetValue(generator)!, parse.GetValue(verifier)!, bins);
                if (rows.Count > 0 && (excluded.Contains(rows[0].Strategy.Split(':')[0]) || rows[0].Strategy == Strategies.ComputeOptimal))
                {
                    continue; // left out, or a routed run (not one configuration)
                }

                if (rows.Count == 0 || configs.Any(c => c.Key == rows[0].Strategy && c.N == rows[0].Budget))
                {
                    continue; // another generator or verifier, or the same configuration twice (beam M=√N and M=4 at N=16)
                }

                configs.Add((db.FullName, rows[0].Strategy, rows[0].Budget));
                steps[(rows[0].Strategy, rows[0].Budget)] = Step(db.FullName);
                measured.AddRange(rows);
                outcomes.AddRange(AfterProbes(rows, probeCount));
            }

            // Smaller N of the sampling strategies by subsampling their largest run (as search-and-learn
            // does), where no run of that N exists: the first k samples of each problem, picked by the same rule.
            foreach (var config in configs.Where(c => IsSampling(c.Key)).ToList())
            {
                foreach (var k in levels.Where(k => k < config.N && !configs.Any(c => c.Key == config.Key && c.N == k)))
                {
                    var rows = Subsample(config.File, config.Key, k, bins);
                    configs.Add(($"{config.File} (first {k})", config.Key, k));
                    steps[(config.Key, k)] = steps[(config.Key, config.N)] with { N = k };
                    measured.AddRange(rows);
                    outcomes.AddRange(AfterProbes(rows, probeCount));
                }
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
            var curve = new Table().AddColumns("budget N", "compute-optimal (2-fold)", probeCount > 0 ? "tokens / problem after the probes" : "tokens / problem",
                "weighted BoN", "tokens / problem", "majority", "tokens / problem");
            foreach (var n in levels)
            {
                var cells = policy.Where(c => c.Budget == n && c.CrossValidatedAccuracy is not null).ToList();
                var problems = cells.Sum(c => c.Problems);
                var accuracy = cells.Sum(c => c.CrossValidatedAccuracy!.Value * c.Problems) / Math.Max(1, problems);
                var tokens = cells.Sum(c => c.CrossValidatedTokens!.Value * c.Problems) / Math.Max(1, problems);
                curve.AddRow($"{n}", $"{100 * accuracy:0.0}%", $"{tokens:0}", Baseline(measured, Strategies.WeightedBestOfN, n), Tokens(measured, Strategies.WeightedBestOfN, n),
                    Baseline(measured, Strategies.SelfConsistency, n), Tokens(measured, Strategies.SelfConsistency, n));
            }

            AnsiConsole.Write(curve);
            if (parse.GetValue(output) is { } file)
            {
                if (predictedBounds is null && !parse.GetValue(knownDifficulty))
                {
                    File.WriteAllText(file.FullName, JsonSerializer.Serialize(new { oracle = parse.GetValue(oracle), configurations = configs.Select(c => Path.GetFileName(c.File).Replace(".db", "", StringComparison.Ordinal)), choices = policy },
                        new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                }
                else
                {
                    // The file the Router routes by: bounds on the probes' mean score, and per budget a step per bin.
                    var shipped = new ComputeOptimalPolicy
                    {
                        Generator = parse.GetValue(generator)!, Verifier = parse.GetValue(verifier)!, Probes = probeCount, Bounds = predictedBounds ?? [],
                        ProbeTokens = probeTokens, ProbeFlops = probeFlops,
                        BinShares = [.. Enumerable.Range(1, DifficultyBins.Count).Select(b => (double)bins.Values.Count(x => x == b) / bins.Count)],
                        Budgets = [.. levels.Where(n => n >= probeCount).Select(n => new PolicyColumn
                        {
                            Budget = n,
                            Bins = [.. Enumerable.Range(1, DifficultyBins.Count).Select(bin =>
                                policy.FirstOrDefault(c => c.Bin == bin && c.Budget == n) is { } c
                                    ? steps[(c.Strategy, c.StrategyBudget)] with { Tokens = c.MeanTokens, Flops = c.MeanFlops, Accuracy = c.CrossValidatedAccuracy ?? c.Accuracy }
                                : probeCount > 0 ? new PolicyStep { Strategy = Strategies.WeightedBestOfN, N = probeCount } // a bin no calibration problem fell in: the probes decide
                                : new PolicyStep { Strategy = Strategies.Greedy, N = 1 })],
                        })],
                    };
                    shipped.Validate();
                    File.WriteAllText(file.FullName, shipped.ToJson());
                }
            }

            return 0;
        });

        var command = new Command("policy", "Compute-optimal policies: fit from eval databases; import, activate and show stored versions");
        command.Subcommands.Add(fit);
        AddStoredVersions(command);
        return command;
    }

    /// <summary><c>import FILE</c>, <c>activate VERSION</c>, <c>show [VERSION]</c>: versioned policies in PostgreSQL, one active.</summary>
    private static void AddStoredVersions(Command command)
    {
        var connection = BatchesCommands.Connection(recursive: true);
        command.Options.Add(connection);

        var file = new Argument<FileInfo>("FILE") { Description = "A policy file written by ttc policy fit --probes --out" };
        var import = new Command("import", "Store a fitted policy file as the next version (inactive until activated)");
        import.Arguments.Add(file);
        var activateNow = new Option<bool>("--activate") { Description = "Make it the active version at once" };
        import.Options.Add(activateNow);
        import.SetAction(async (parse, ct) =>
        {
            ComputeOptimalPolicy policy;
            try
            {
                policy = ComputeOptimalPolicy.Parse(await File.ReadAllTextAsync(parse.GetValue(file)!.FullName, ct));
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
            {
                Console.Error.WriteLine($"error: FILE: {e.Message}");
                return 2;
            }

            return await WithDatabase(parse, connection, async db =>
            {
                var version = await Router.Planning.PolicyStore.Import(db, policy, DateTimeOffset.UtcNow, ct);
                if (parse.GetValue(activateNow))
                {
                    await Router.Planning.PolicyStore.Activate(db, version, ct);
                }

                Console.WriteLine(version);
                Console.Error.WriteLine($"stored as version {version}{(parse.GetValue(activateNow) ? ", active" : "; activate it with: ttc policy activate " + version)}");
                return 0;
            });
        });

        var version = new Argument<int>("VERSION");
        var activate = new Command("activate", "Make VERSION the one active version (Routers follow it within Router:PolicyRefreshSeconds)");
        activate.Arguments.Add(version);
        activate.SetAction((parse, ct) => WithDatabase(parse, connection, async db =>
        {
            if (!await Router.Planning.PolicyStore.Activate(db, parse.GetValue(version), ct))
            {
                Console.Error.WriteLine($"error: VERSION: there is no policy version {parse.GetValue(version)} (ttc policy show)");
                return 1;
            }

            Console.WriteLine($"policy version {parse.GetValue(version)} is active");
            return 0;
        }));

        var which = new Argument<int?>("VERSION") { Arity = ArgumentArity.ZeroOrOne, Description = "One version (default: all)" };
        var show = new Command("show", "Stored versions: which is active, and per budget the strategy of each difficulty bin");
        show.Arguments.Add(which);
        show.SetAction((parse, ct) => WithDatabase(parse, connection, async db =>
        {
            var versions = await Router.Planning.PolicyStore.List(db, parse.GetValue(which), ct);
            if (versions.Count == 0)
            {
                Console.Error.WriteLine("no stored policy versions (ttc policy import FILE)");
                return 1;
            }

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Profile.Width = 160;
            }

            foreach (var (policy, active, fittedAt) in versions)
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"version {policy.Version}{(active ? " (active)" : "")}: {policy.Generator} + {policy.Verifier}, {policy.Probes} probes, bounds {string.Join(" / ", policy.Bounds.Select(b => b.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))}, stored {fittedAt:yyyy-MM-dd HH:mm} UTC");
                var table = new Table().AddColumns(["budget", .. Enumerable.Range(1, DifficultyBins.Count).Select(b => $"bin {b}")]);
                foreach (var column in policy.Budgets)
                {
                    table.AddRow([$"{column.Budget}", .. column.Bins.Select(s => $"{s.Strategy}@{s.N}{(s.BeamWidth > 0 ? $" M={s.BeamWidth}" : "")}{(s.Chains > 0 ? $" P={s.Chains}" : "")}")]);
                }

                AnsiConsole.Write(table);
            }

            return 0;
        }));

        command.Subcommands.Add(import);
        command.Subcommands.Add(activate);
        command.Subcommands.Add(show);
    }

    /// <summary>Runs <paramref name="action"/> on the platform database; 2 (after saying why) when there is no connection string.</summary>
    private static async Task<int> WithDatabase(ParseResult parse, Option<string?> connection, Func<Platform.Storage.PlatformDbContext, Task<int>> action)
    {
        await using var db = BatchesCommands.Open(parse, connection);
        return db is null ? 2 : await action(db);
    }

    private static bool IsSampling(string strategy) => strategy is Strategies.SelfConsistency or Strategies.BestOfN or Strategies.WeightedBestOfN;

    /// <summary>
    /// What a configuration costs after the probes: a sampling strategy draws only what it lacks (the
    /// probes join its pool), so its tokens are the share of its samples beyond them; anything else runs whole.
    /// </summary>
    private static IEnumerable<SweepOutcome> AfterProbes(List<SweepOutcome> rows, int probes) =>
        probes == 0 || !IsSampling(rows[0].Strategy) ? rows
            : rows.Select(r => r with { Tokens = r.Tokens * Math.Max(0.0, r.Budget - probes) / r.Budget, Flops = r.Flops * Math.Max(0.0, r.Budget - probes) / r.Budget });

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

    /// <summary>
    /// Outcomes of a sampling strategy at <paramref name="k"/> samples from a run with more: per problem
    /// the first k samples (by sample number), picked by the strategy's rule, graded, their tokens summed;
    /// FLOPs are the run's in proportion to the samples kept (generation and scoring grow with samples).
    /// </summary>
    private static List<SweepOutcome> Subsample(string path, string strategy, int k, Dictionary<string, int> bins)
    {
        using var connection = Open(path);
        using var query = connection.CreateCommand();
        query.CommandText = "select p.text, p.reference_answer, c.key, c.extracted_answer, coalesce(c.score, 0), c.token_count, r.flops, r.n " +
            "from candidates c join runs r on r.id = c.run_id join problems p on p.id = r.problem_id where r.status = 'completed'";
        var samples = new Dictionary<string, (string? Reference, List<(int Index, string? Answer, double Score, int Tokens)> Items)>();
        var flopsPerSample = new Dictionary<string, double>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            var text = reader.GetString(0);
            if (!int.TryParse(reader.GetString(2).TrimStart('n'), out var index))
            {
                continue;
            }

            if (!samples.TryGetValue(text, out var entry))
            {
                entry = (reader.IsDBNull(1) ? null : reader.GetString(1), []);
                samples[text] = entry;
            }

            entry.Items.Add((index, reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetDouble(4), reader.GetInt32(5)));
            flopsPerSample[text] = reader.GetDouble(6) / Math.Max(1, reader.GetInt32(7));
        }

        var rows = new List<SweepOutcome>();
        foreach (var (text, (reference, items)) in samples)
        {
            if (!bins.TryGetValue(text, out var bin) || items.Count < k)
            {
                continue;
            }

            var first = items.OrderBy(i => i.Index).Take(k).ToList();
            var answers = first.Select(i => i.Answer).ToList();
            var scores = first.Select(i => i.Score).ToList();
            var pick = strategy switch
            {
                Strategies.SelfConsistency => Platform.Reasoning.Selection.AnswerSelection.Majority(answers),
                Strategies.BestOfN => Platform.Reasoning.Selection.AnswerSelection.Best(answers, scores),
                _ => Platform.Reasoning.Selection.AnswerSelection.Weighted(answers, scores),
            };
            var answer = pick is { } i ? answers[i] : null;
            rows.Add(new SweepOutcome(text, bin, strategy, k, reference is not null && answer is not null && AnswerEquivalence.Equivalent(reference, answer), first.Sum(x => x.Tokens),
                flopsPerSample[text] * k));
        }

        return rows;
    }

    /// <summary>Per problem text: the mean final verifier score of its samples, how many, their generated tokens, and the run's FLOPs.</summary>
    private static Dictionary<string, (double Mean, int Count, double Tokens, double Flops)> ProbeScores(string path)
    {
        using var connection = Open(path);
        using var query = connection.CreateCommand();
        query.CommandText = "select p.text, avg(coalesce(c.score, 0)), count(*), sum(c.token_count), max(r.flops) from candidates c join runs r on r.id = c.run_id join problems p on p.id = r.problem_id group by p.text";
        var scores = new Dictionary<string, (double, int, double, double)>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            scores[reader.GetString(0)] = (reader.GetDouble(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetDouble(4));
        }

        return scores;
    }

    /// <summary>The configuration of an eval database, as a policy step.</summary>
    private static PolicyStep Step(string path)
    {
        using var connection = Open(path);
        using var query = connection.CreateCommand();
        query.CommandText = "select plan_json from runs limit 1";
        using var plan = JsonDocument.Parse((string)query.ExecuteScalar()!);
        var p = plan.RootElement;
        return new PolicyStep
        {
            Strategy = p.GetProperty("strategy").GetString()!, N = p.GetProperty("n").GetInt32(), BeamWidth = p.GetProperty("beamWidth").GetInt32(),
            Lookahead = p.GetProperty("lookahead").GetInt32(), Aggregation = p.GetProperty("aggregation").GetString()!,
            Chains = p.TryGetProperty("chains", out var chains) ? chains.GetInt32() : 0,
            ChainLength = p.TryGetProperty("chainLength", out var length) ? length.GetInt32() : 0,
        };
    }

    /// <summary>Per problem text: the share of its samples whose answer is right, and how many samples.</summary>
    internal static Dictionary<string, (double Rate, int Samples)> PassAt1(string path)
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
        query.CommandText = "select p.text, r.plan_json, coalesce(r.correct, 0), r.generated_tokens, r.flops from runs r join problems p on p.id = r.problem_id where r.status = 'completed'";
        var rows = new List<SweepOutcome>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            using var plan = JsonDocument.Parse(reader.GetString(1));
            var p = plan.RootElement;
            if (p.GetProperty("generatorModel").GetString() != generator ||
                (Strategies.UsesVerifier(p.GetProperty("strategy").GetString()!) && p.GetProperty("verifierModel").GetString() != verifier))
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

            if (p.TryGetProperty("chains", out var chains) && chains.GetInt32() is > 0 and var parallel)
            {
                key += $":P={parallel}";
            }

            rows.Add(new SweepOutcome(reader.GetString(0), bin, key, p.GetProperty("n").GetInt32(), reader.GetInt64(2) == 1, reader.GetInt64(3), reader.GetDouble(4)));
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
