using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.Storage;
using Platform.Storage.Queries;

namespace Platform.Cli.Commands;

/// <summary><c>ttc results</c>, <c>ttc cancel</c> and <c>ttc batches</c>: the batch API from the command line, against PostgreSQL.</summary>
public static class BatchesCommands
{
    /// <summary>The <c>--connection</c> option of the commands that work on PostgreSQL (recursive: for every subcommand).</summary>
    internal static Option<string?> Connection(bool recursive = false) =>
        new("--connection") { Description = "PostgreSQL connection string; default: ConnectionStrings__Platform", Recursive = recursive };

    /// <summary>The platform database from <c>--connection</c> or ConnectionStrings__Platform; null (after saying why) when neither is there.</summary>
    internal static PlatformDbContext? Open(ParseResult parse, Option<string?> connection)
    {
        var cs = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
        if (string.IsNullOrWhiteSpace(cs))
        {
            Console.Error.WriteLine("error: no connection string: pass --connection or set ConnectionStrings__Platform");
            return null;
        }

        return new PlatformDbContext(PlatformDbContextOptions.Create(StorageProvider.Postgres, cs));
    }

    /// <summary>The command's action, run with the platform database open (<see cref="Open"/>); exit code 2 when there is none.</summary>
    internal static void SetDatabaseAction(Command command, Option<string?> connection, Func<ParseResult, PlatformDbContext, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            await using var db = Open(parse, connection);
            return db is null ? 2 : await action(parse, db, ct);
        });

    public static Command Results()
    {
        var id = new Argument<Guid>("ID") { Description = "Batch id" };
        var output = new Option<FileInfo?>("--out") { Description = "Write to FILE.jsonl or FILE.csv (default: JSON lines on standard output)" };
        var connection = Connection();
        var command = new Command("results", "Every problem's result of a batch, streamed in problem order");
        command.Arguments.Add(id);
        command.Options.Add(output);
        command.Options.Add(connection);
        SetDatabaseAction(command, connection, async (parse, db, ct) =>
        {
            var batchId = parse.GetValue(id);
            if (!await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(db.Batches, b => b.Id == batchId, ct))
            {
                Console.Error.WriteLine($"batch {batchId} is not in the database");
                return 1;
            }

            var file = parse.GetValue(output);
            var csv = file?.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) == true;
            await using var writer = file is null ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) : new StreamWriter(file.FullName, false, new UTF8Encoding(false), 1 << 16);
            if (csv)
            {
                await writer.WriteLineAsync(string.Join(",", CsvColumns));
            }

            var after = -1;
            var total = 0;
            while (true)
            {
                var count = 0;
                await foreach (var row in BatchQueries.Results(db, batchId, after, 5000, ct))
                {
                    await writer.WriteLineAsync(csv ? Csv(row) : JsonSerializer.Serialize(row, BatchQueries.Json));
                    after = row.ProblemIndex;
                    count++;
                }

                total += count;
                if (count < 5000)
                {
                    break;
                }
            }

            if (file is not null)
            {
                Console.Error.WriteLine($"{total} results written to {file.FullName}");
            }

            return 0;
        });
        return command;
    }

    private static readonly string[] CsvColumns =
    [
        "problem_index", "external_id", "status", "answer", "reference", "correct", "strategy", "parameters", "difficulty_bin", "difficulty_source",
        "prompt_tokens", "cached_prompt_tokens", "generated_tokens", "scored_tokens", "cached_scored_tokens", "flops", "device_ms", "failure_reason",
    ];

    private static string Csv(ProblemResult r)
    {
        static string Field(object? v) => v switch
        {
            null => "",
            string s when s.IndexOfAny([',', '"', '\n', '\r']) >= 0 => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"",
            string s => s,
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => Field(v.ToString()),
        };
        return string.Join(",", new object?[]
        {
            r.ProblemIndex, r.ExternalId, r.Status, r.Answer, r.Reference, r.Correct, r.Strategy, r.Parameters.ToJsonString(), r.DifficultyBin,
            r.DifficultySource, r.PromptTokens, r.CachedPromptTokens, r.GeneratedTokens, r.ScoredTokens, r.CachedScoredTokens, r.Flops, r.DeviceMilliseconds, r.FailureReason,
        }.Select(Field));
    }

    public static Command Cancel()
    {
        var id = new Argument<Guid>("ID") { Description = "Batch id" };
        var connection = Connection();
        var command = new Command("cancel", "Cancel a batch: no new work is dispatched, its unfinished runs end cancelled");
        command.Arguments.Add(id);
        command.Options.Add(connection);
        SetDatabaseAction(command, connection, async (parse, db, ct) =>
        {
            var outcome = await BatchQueries.Cancel(db, parse.GetValue(id), DateTimeOffset.UtcNow, ct);
            Console.WriteLine(outcome switch
            {
                CancelOutcome.NotFound => $"batch {parse.GetValue(id)} is not in the database",
                CancelOutcome.AlreadyEnded => $"batch {parse.GetValue(id)} has already ended",
                CancelOutcome.AlreadyCancelled => $"batch {parse.GetValue(id)} was already cancelled",
                _ => $"batch {parse.GetValue(id)} cancelled",
            });
            return outcome is CancelOutcome.Cancelled or CancelOutcome.AlreadyCancelled ? 0 : 1;
        });
        return command;
    }

    public static Command List()
    {
        var status = new Option<string?>("--status") { Description = "accepted, completed, cancelled or rejected" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Submitted at or after (ISO 8601)" };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 20 };
        var connection = Connection();
        var command = new Command("batches", "Batches, newest first");
        foreach (var o in new Option[] { status, since, limit, connection })
        {
            command.Options.Add(o);
        }

        SetDatabaseAction(command, connection, async (parse, db, ct) =>
        {
            var rows = await BatchQueries.List(db, parse.GetValue(status), parse.GetValue(since), Math.Clamp(parse.GetValue(limit), 1, 1000), null, ct);
            Console.WriteLine($"{"id",-36}  {"status",-9}  {"ended",13}  {"submitted (UTC)",-19}  name");
            foreach (var b in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{b.Id,-36}  {b.Status,-9}  {$"{b.RunsEnded}/{b.Problems}",13}  {b.SubmittedAt.UtcDateTime,-19:yyyy-MM-dd HH:mm:ss}  {b.Name}"));
            }

            return 0;
        });
        return command;
    }
}
