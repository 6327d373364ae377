using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Operations.Sweeps;
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
                levels = SweepGrid.ParseBudgets(parse.GetValue(budgets)!, "--budgets");
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var grid = SweepGrid.Cells(levels, SweepGrid.ParseStrategies(parse.GetValue(strategies)));
            await using var db = await OpenAsync(parse, database, connection, folder, ct);
            if (db is null)
            {
                return 2;
            }

            var (sweep, cells, _) = await SweepRecords.StartOrResume(db, parse.GetValue(key)!,
                new { data = parse.GetValue(data)!.FullName, limit = parse.GetValue(limit), budgets = levels, seed = parse.GetValue(seed), output = folder.FullName }, grid, DateTimeOffset.UtcNow, ct);
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
                    SweepRecords.Complete(cell, r.GetProperty("batch_id").GetGuid(), r.GetProperty("problems").GetInt32(), r.GetProperty("accuracy").GetDouble(),
                        r.GetProperty("generated_tokens").GetInt64(), r.GetProperty("flops").GetDouble(), DateTimeOffset.UtcNow);
                }
                else
                {
                    SweepRecords.Fail(cell, $"ttc eval exited with {code}", DateTimeOffset.UtcNow);
                }

                await db.SaveChangesAsync(ct);
            }

            await SweepRecords.Finish(db, sweep, cells, DateTimeOffset.UtcNow, ct);
            var failed = cells.Count(c => c.Status == SweepCellStatus.Failed);
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
                AnsiConsole.MarkupLineInterpolated(
                    $"sweep {sweep.Key}: {sweep.Status}, {cells.Count(c => c.Status == SweepCellStatus.Completed)} of {cells.Count} cells completed, started {sweep.StartedAt:yyyy-MM-dd HH:mm} UTC{(sweep.PolicyVersion is { } v ? $", fitted to policy version {v}" : "")}");
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
