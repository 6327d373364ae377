using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Storage;
using Platform.Storage.Entities;
using Spectre.Console;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>ttc sweep run|status</c>: a calibration sweep — a grid of strategies x budgets, each cell one
/// embedded <c>ttc eval</c> of the sweep's problems — recorded in the <c>sweeps</c> and <c>sweep_cells</c>
/// tables (a SQLite file by default, or PostgreSQL), with each cell's eval summary and database in the
/// output folder (what <c>ttc policy fit --runs</c> reads). Run again with the same key, a sweep resumes:
/// completed cells are kept, a cell a crash left running is run again from scratch.
/// </summary>
public static class SweepCommand
{
    /// <summary>A cell of the grid: its name (also its files' names), strategy, N and eval options.</summary>
    public sealed record Cell(string Name, string Strategy, int N, string[] Args);

    /// <summary>The grid of benchmarks/search.sh and benchmarks/revisions.sh for the given budgets, limited to <paramref name="strategies"/> when given.</summary>
    public static List<Cell> Grid(IReadOnlyList<int> budgets, IReadOnlySet<string>? strategies)
    {
        var cells = new List<Cell> { new("greedy-1", "greedy", 1, ["--strategy", "greedy"]) };
        foreach (var n in budgets)
        {
            var s = Platform.Reasoning.Controllers.ControllerRegistry.DefaultWidth(n);
            string N(int x) => x.ToString(CultureInfo.InvariantCulture);
            cells.Add(new($"bon-{n}", "best-of-n", n, ["--strategy", "best-of-n", "--n", N(n)]));
            cells.Add(new($"majority-{n}", "self-consistency", n, ["--strategy", "self-consistency", "--n", N(n)]));
            cells.Add(new($"weighted-bon-{n}", "weighted-best-of-n", n, ["--strategy", "weighted-best-of-n", "--n", N(n)]));
            cells.Add(new($"beam-sqrt-{n}", "beam-search", n, ["--strategy", "beam-search", "--n", N(n)]));
            if (n >= 4 && n % 4 == 0 && s != 4)
            {
                cells.Add(new($"beam-m4-{n}", "beam-search", n, ["--strategy", "beam-search", "--n", N(n), "--beam-width", "4"]));
            }

            cells.Add(new($"lookahead1-{n}", "lookahead", n, ["--strategy", "lookahead", "--n", N(n), "--lookahead", "1"]));
            cells.Add(new($"dvts-{n}", "dvts", n, ["--strategy", "dvts", "--n", N(n)]));
            foreach (var p in new[] { n / 2, s, 1 }.Distinct().Where(p => p >= 1 && n % p == 0 && (p > 1 || n <= 16)))
            {
                cells.Add(new($"revisions-p{p}-{n}", "sequential-revisions", n, ["--strategy", "sequential-revisions", "--n", N(n), "--chains", N(p), "--chain-length", N(n / p)]));
            }
        }

        return strategies is null ? cells : cells.Where(c => strategies.Contains(c.Strategy)).ToList();
    }

    public static Command Create()
    {
        var key = new Option<string>("--key") { Description = "The sweep's name; running it again resumes it", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "Calibration problems (JSONL), disjoint from every evaluation set", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Use only the first K problems" };
        var budgets = new Option<string>("--budgets") { Description = "Budget levels N, comma-separated", DefaultValueFactory = _ => "4,16,64" };
        var strategies = new Option<string?>("--strategies") { Description = "Only these strategies (comma-separated); default: the whole grid" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for each cell's summary (NAME.json) and database (NAME.db)", Required = true };
        var database = Database();
        var connection = BatchesCommands.Connection();
        var run = new Command("run", "Run (or resume) a sweep: every cell of the grid that is not completed");
        foreach (var o in new Option[] { key, data, limit, budgets, strategies, seed, output, database, connection })
        {
            run.Options.Add(o);
        }

        run.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(output)!;
            folder.Create();
            List<int> levels;
            try
            {
                levels = [.. parse.GetValue(budgets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(b => int.Parse(b, CultureInfo.InvariantCulture))];
            }
            catch (FormatException)
            {
                Console.Error.WriteLine($"error: --budgets must be integers separated by commas (was '{parse.GetValue(budgets)}')");
                return 2;
            }

            var only = parse.GetValue(strategies)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            var grid = Grid(levels, only);
            await using var db = await OpenAsync(parse, database, connection, folder, ct);
            if (db is null)
            {
                return 2;
            }

            var now = DateTimeOffset.UtcNow;
            var sweep = await db.Sweeps.SingleOrDefaultAsync(s => s.Key == parse.GetValue(key), ct);
            if (sweep is null)
            {
                sweep = new Sweep
                {
                    Id = Guid.NewGuid(), Key = parse.GetValue(key)!, Status = "running", StartedAt = now,
                    ConfigJson = JsonSerializer.Serialize(new { data = parse.GetValue(data)!.FullName, limit = parse.GetValue(limit), budgets = levels, seed = parse.GetValue(seed), output = folder.FullName }),
                };
                db.Sweeps.Add(sweep);
                db.SweepCells.AddRange(grid.Select(c => new SweepCell { Id = Guid.NewGuid(), SweepId = sweep.Id, Name = c.Name, Strategy = c.Strategy, N = c.N, ArgsJson = JsonSerializer.Serialize(c.Args) }));
                await db.SaveChangesAsync(ct);
            }

            var cells = await db.SweepCells.Where(c => c.SweepId == sweep.Id).OrderBy(c => c.N).ThenBy(c => c.Name).ToListAsync(ct);
            var done = cells.Count(c => c.Status == SweepCellStatus.Completed);
            Console.Error.WriteLine($"sweep {sweep.Key}: {cells.Count} cells, {done} completed{(done > 0 ? " (kept)" : "")}");
            foreach (var cell in cells.Where(c => c.Status != SweepCellStatus.Completed))
            {
                // A cell left running by a crash (or failed) starts again from nothing (pooled SQLite
                // connections would keep a deleted file alive in this process, so they go first).
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                var json = Path.Combine(folder.FullName, cell.Name + ".json");
                foreach (var file in Directory.GetFiles(folder.FullName, cell.Name + ".db*").Append(json))
                {
                    File.Delete(file);
                }

                (cell.Status, cell.StartedAt, cell.Error) = (SweepCellStatus.Running, DateTimeOffset.UtcNow, null);
                await db.SaveChangesAsync(ct);
                string[] args =
                [
                    "eval", parse.GetValue(data)!.FullName, .. JsonSerializer.Deserialize<string[]>(cell.ArgsJson)!, "--seed", parse.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                    .. parse.GetValue(limit) is { } k ? new[] { "--limit", k.ToString(CultureInfo.InvariantCulture) } : [],
                    "--json", json, "--db", Path.Combine(folder.FullName, cell.Name + ".db"),
                ];
                Console.Error.WriteLine($"cell {cell.Name}: ttc {string.Join(' ', args[..^4])}");
                var code = await Cli.Build().Parse(args).InvokeAsync(cancellationToken: ct);
                if (code == 0 && File.Exists(json))
                {
                    using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(json, ct));
                    var r = summary.RootElement;
                    cell.Status = SweepCellStatus.Completed;
                    cell.BatchId = r.GetProperty("batch_id").GetGuid();
                    cell.Problems = r.GetProperty("problems").GetInt32();
                    cell.Accuracy = r.GetProperty("accuracy").GetDouble();
                    cell.GeneratedTokens = r.GetProperty("generated_tokens").GetInt64();
                    cell.Flops = r.GetProperty("flops").GetDouble();
                }
                else
                {
                    (cell.Status, cell.Error) = (SweepCellStatus.Failed, $"ttc eval exited with {code}");
                }

                cell.CompletedAt = DateTimeOffset.UtcNow;
                await db.SaveChangesAsync(ct);
            }

            var failed = cells.Count(c => c.Status == SweepCellStatus.Failed);
            sweep.Status = failed == 0 ? "completed" : "failed";
            sweep.CompletedAt = DateTimeOffset.UtcNow;
            sweep.ProblemCount = cells.Max(c => c.Problems ?? 0);
            await db.SaveChangesAsync(ct);
            Console.WriteLine($"sweep {sweep.Key} {sweep.Status}: {cells.Count - failed} of {cells.Count} cells completed; fit a policy with: ttc policy fit --runs {folder.FullName} --probes weighted-bon-4 --out FILE");
            return failed == 0 ? 0 : 1;
        });

        var which = new Argument<string?>("KEY") { Arity = ArgumentArity.ZeroOrOne, Description = "One sweep (default: every sweep)" };
        var statusDatabase = Database();
        var statusConnection = BatchesCommands.Connection();
        var statusFolder = new Option<DirectoryInfo?>("--out") { Description = "The sweep's output folder (its default database, sweep.db)" };
        var status = new Command("status", "Sweeps and their cells: status, accuracy, tokens and FLOPs per problem");
        status.Arguments.Add(which);
        status.Options.Add(statusDatabase);
        status.Options.Add(statusConnection);
        status.Options.Add(statusFolder);
        status.SetAction(async (parse, ct) =>
        {
            await using var db = await OpenAsync(parse, statusDatabase, statusConnection, parse.GetValue(statusFolder), ct);
            if (db is null)
            {
                return 2;
            }

            var sweeps = await db.Sweeps.AsNoTracking().Where(s => parse.GetValue(which) == null || s.Key == parse.GetValue(which)).OrderBy(s => s.StartedAt).ToListAsync(ct);
            if (sweeps.Count == 0)
            {
                Console.Error.WriteLine(parse.GetValue(which) is { } k ? $"error: KEY: no sweep '{k}'" : "no sweeps");
                return 1;
            }

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Profile.Width = 160;
            }

            foreach (var sweep in sweeps)
            {
                var cells = await db.SweepCells.AsNoTracking().Where(c => c.SweepId == sweep.Id).OrderBy(c => c.N).ThenBy(c => c.Name).ToListAsync(ct);
                AnsiConsole.MarkupLineInterpolated($"sweep {sweep.Key}: {sweep.Status}, {cells.Count(c => c.Status == SweepCellStatus.Completed)} of {cells.Count} cells completed, started {sweep.StartedAt:yyyy-MM-dd HH:mm} UTC");
                var table = new Table().AddColumns("cell", "strategy", "N", "status", "accuracy", "tokens / problem", "FLOPs / problem");
                foreach (var c in cells)
                {
                    table.AddRow(c.Name, c.Strategy, $"{c.N}", c.Status, c.Accuracy is { } a ? $"{100 * a:0.0}%" : "-",
                        c.GeneratedTokens is { } t && c.Problems is > 0 ? $"{(double)t / c.Problems:0}" : "-",
                        c.Flops is { } f && c.Problems is > 0 ? (f / c.Problems.Value).ToString("0.00e+00", CultureInfo.InvariantCulture) : "-");
                }

                AnsiConsole.Write(table);
            }

            return 0;
        });

        var command = new Command("sweep", "Calibration sweeps recorded in the database: run (or resume) and status");
        command.Subcommands.Add(run);
        command.Subcommands.Add(status);
        return command;
    }

    private static Option<FileInfo?> Database() => new("--db") { Description = "SQLite file recording the sweep (default: OUT/sweep.db; --connection for PostgreSQL)" };

    /// <summary>The sweep records: PostgreSQL with --connection, else the SQLite file (created when missing).</summary>
    private static async Task<PlatformDbContext?> OpenAsync(ParseResult parse, Option<FileInfo?> database, Option<string?> connection, DirectoryInfo? folder, CancellationToken ct)
    {
        if (parse.GetValue(connection) is not null)
        {
            return BatchesCommands.Open(parse, connection);
        }

        var file = parse.GetValue(database)?.FullName ?? (folder is null ? null : Path.Combine(folder.FullName, "sweep.db"));
        if (file is null)
        {
            Console.Error.WriteLine("error: give --db FILE, --out DIR (its sweep.db) or --connection");
            return null;
        }

        var db = new PlatformDbContext(PlatformDbContextOptions.Create(StorageProvider.Sqlite, $"Data Source={file}"));
        await DatabaseInitializer.InitializeAsync(db, ct);
        return db;
    }
}
