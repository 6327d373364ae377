using System.CommandLine;
using System.Text.Json;
using Platform.Reasoning.Policy;
using Platform.Operations.Sweeps;
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
        var budgetBy = new Option<string>("--budget-by")
        {
            Description = "How a configuration fits budget N: 'samples' (its N <= N; default), 'tokens' or 'flops' (its mean generated tokens, or FLOPs, in a bin <= what N samples of weighted best-of-N cost there, for strategies that stop early; ties go to the cheapest in that unit)",
            DefaultValueFactory = _ => "samples",
        };
        var compareUniform = new Option<bool>("--compare-uniform")
        {
            Description = "At each budget, keep one configuration for every bin where that cross-validates better than choosing per bin (a guard against fitting noise in small bins)",
        };
        var probeSignal = new Option<string>("--probe-signal")
        {
            Description = "With --probes: read difficulty from the probes' verifier 'score' (default) or their generator 'confidence' (probes then need no scoring); the fit reports both signals' agreement with the oracle bins",
            DefaultValueFactory = _ => "score",
        };
        probeSignal.AcceptOnlyFromAmong("score", "confidence");
        var exclude = new Option<string?>("--exclude") { Description = "Leave out the configurations of these strategies (comma-separated), e.g. to fit a policy without sequential-revisions" };
        var fit = new Command("fit", "Fit a compute-optimal policy from eval databases and report it with 2-fold cross-validation");
        foreach (var o in new Option[] { runs, oracle, budgets, generator, verifier, output, probes, probeSignal, bounds, exclude, knownDifficulty, budgetBy, compareUniform })
        {
            fit.Options.Add(o);
        }

        fit.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(runs)!;
            var oraclePath = Path.Combine(folder.FullName, parse.GetValue(oracle) + ".db");
            if (!File.Exists(oraclePath))
            {
                Console.Error.WriteLine($"error: --oracle: {oraclePath} does not exist");
                return 2;
            }

            if (parse.GetValue(probes) is { } probeRun && !File.Exists(Path.Combine(folder.FullName, probeRun + ".db")))
            {
                Console.Error.WriteLine($"error: --probes: {Path.Combine(folder.FullName, probeRun + ".db")} does not exist");
                return 2;
            }

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Profile.Width = 160; // tables in logs and files stay on one line per row
            }

            var configurations = new List<SweepRuns>();
            foreach (var db in folder.GetFiles("*.db").OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                var loaded = await SweepRuns.LoadFile(db.FullName, ct);
                if (loaded.Runs.Count > 0)
                {
                    configurations.Add(loaded); // a sweep.db records cells, no runs
                }
            }

            SweepFitResult result;
            try
            {
                result = SweepFit.Fit(configurations, new SweepFitSettings
                {
                    Oracle = parse.GetValue(oracle)!, Probes = parse.GetValue(probes), KnownDifficulty = parse.GetValue(knownDifficulty),
                    ProbeSignal = parse.GetValue(probeSignal) == "confidence" ? ProbeSignal.Confidence : ProbeSignal.Score,
                    Bounds = parse.GetValue(bounds) is { } shipped ? ComputeOptimalPolicy.Parse(await File.ReadAllTextAsync(shipped.FullName, ct)).Bounds : null,
                    Budgets = [.. parse.GetValue(budgets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)],
                    Generator = parse.GetValue(generator)!, Verifier = parse.GetValue(verifier)!, BudgetBy = parse.GetValue(budgetBy)!, CompareUniform = parse.GetValue(compareUniform),
                    Excluded = (parse.GetValue(exclude) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal),
                });
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            Print(result, parse.GetValue(probes), parse.GetValue(oracle)!);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, result.Policy?.ToJson() ?? JsonSerializer.Serialize(
                    new { oracle = parse.GetValue(oracle), configurations = result.Configurations, choices = result.Choices },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }), ct);
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
                var version = await Platform.Operations.Policies.PolicyStore.Import(db, policy, DateTimeOffset.UtcNow, ct);
                if (parse.GetValue(activateNow))
                {
                    await Platform.Operations.Policies.PolicyStore.Activate(db, version, ct);
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
            if (!await Platform.Operations.Policies.PolicyStore.Activate(db, parse.GetValue(version), ct))
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
            var versions = await Platform.Operations.Policies.PolicyStore.List(db, parse.GetValue(which), ct);
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

    /// <summary>The fit as tables: bin agreement, the choice per bin and budget, and the compute-optimal curve against weighted BoN and majority.</summary>
    internal static void Print(SweepFitResult result, string? probeName, string oracleName)
    {
        if (result.Agreement is { } a)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"predicted bins from the mean {(result.Policy?.ProbeSignal == ProbeSignal.Confidence ? "confidence" : "score")} of {result.ProbeCount} probes ({probeName}): equal to the oracle bin for {100 * a.Exact:0.0}% of {a.Problems} problems, within one for {100 * a.Near:0.0}%");
        }

        foreach (var (signal, exact, near) in result.Signals ?? [])
        {
            AnsiConsole.MarkupLineInterpolated($"  probe signal {signal.ToString().ToLowerInvariant()} (bounds fitted here): exact {100 * exact:0.0}%, within one {100 * near:0.0}%");
        }

        var table = new Table().AddColumns("bin", "problems", "budget N", "strategy", "its N", "accuracy", "2-fold accuracy", "tokens / problem");
        foreach (var c in result.Choices)
        {
            table.AddRow($"{c.Bin}", $"{c.Problems}", $"{c.Budget}", c.Strategy, $"{c.StrategyBudget}", $"{100 * c.Accuracy:0.0}%",
                c.CrossValidatedAccuracy is { } x ? $"{100 * x:0.0}%" : "-", $"{c.MeanTokens:0}");
        }

        AnsiConsole.MarkupLineInterpolated($"{result.Configurations.Count} configurations, {result.Problems} problems; oracle bins from pass@1 over {result.OracleSamples}+ samples of {oracleName}");
        AnsiConsole.Write(table);

        // The compute-optimal curve: per budget, every bin's choice, scored on held-out halves; against weighted BoN at that N.
        var curve = new Table().AddColumns("budget N", "compute-optimal (2-fold)", result.ProbeCount > 0 ? "tokens / problem after the probes" : "tokens / problem",
            "weighted BoN", "tokens / problem", "majority", "tokens / problem");
        static string Percent(double? v) => v is { } x ? $"{100 * x:0.0}%" : "-";
        static string Count(double? v) => v is { } x ? $"{x:0}" : "-";
        foreach (var p in result.Curve)
        {
            curve.AddRow($"{p.Budget}", Percent(p.Accuracy), Count(p.Tokens), Percent(p.WeightedAccuracy), Count(p.WeightedTokens), Percent(p.MajorityAccuracy), Count(p.MajorityTokens));
        }

        AnsiConsole.Write(curve);
    }
}
