using System.CommandLine;
using Npgsql;
using Platform.Cli.Reports;
using Platform.Storage;

namespace Platform.Cli.Commands;

/// <summary><c>ttc status ID</c>: a batch's progress and, once it has ended, the same table as `ttc eval`.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var id = new Argument<Guid>("ID") { Description = "Batch id printed by ttc submit" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string; default: ConnectionStrings__Platform" };
        var wait = new Option<bool>("--wait") { Description = "Keep polling until the batch ends" };
        var json = new Option<FileInfo?>("--json");
        var command = new Command("status", "Progress and results of a submitted batch");
        command.Arguments.Add(id);
        command.Options.Add(connection);
        command.Options.Add(wait);
        command.Options.Add(json);
        command.SetAction(async (parse, ct) =>
        {
            var cs = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
            if (string.IsNullOrWhiteSpace(cs))
            {
                Console.Error.WriteLine("error: no connection string: pass --connection or set ConnectionStrings__Platform");
                return 2;
            }

            var batchId = parse.GetValue(id);
            if (parse.GetValue(wait))
            {
                await ConsoleProgress.Track(async token =>
                {
                    await using var db = new NpgsqlConnection(cs);
                    await db.OpenAsync(token);
                    var progress = await BatchProgress.Load(db, batchId, token);
                    if (progress is null)
                    {
                        Console.Error.WriteLine($"batch {batchId} is not in the database (yet)");
                    }

                    return progress;
                }, TimeSpan.FromMilliseconds(500), ct);
            }

            // EF Core is set up only now: a client watching a running batch stays light (one SQL statement per poll).
            await using var context = new PlatformDbContext(PlatformDbContextOptions.Create(StorageProvider.Postgres, cs));
            var report = await BatchReport.Load(context, batchId, ct);
            if (report is null)
            {
                Console.Error.WriteLine($"batch {batchId} is not in the database (yet)");
                return 1;
            }

            Console.WriteLine($"batch {report.BatchId}: {report.Status}, {report.Ended}/{report.Problems} runs ended");
            ConsoleProgress.Print(report);
            if (parse.GetValue(json) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, System.Text.Json.JsonSerializer.Serialize(report, BatchReport.Json), ct);
            }

            return 0;
        });
        return command;
    }
}
