using Npgsql;
using Platform.Cli.Reports;
using Platform.Storage;

namespace Platform.Cli.Commands;

/// <summary>
/// Watching a submitted batch from PostgreSQL, shared by <c>ttc status</c> and <c>ttc submit --wait</c>:
/// progress polled with one SQL statement while the batch runs, then the batch's report (EF Core, set
/// up only once the batch has ended, so a watching client stays light while the services work).
/// </summary>
public sealed class BatchWatch(string connectionString)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Opens a connection and runs the progress query once (for no batch), so a client that is about to
    /// submit fails before it does when the database cannot be reached, and polls warm afterwards.
    /// </summary>
    public async Task<string?> Check(CancellationToken ct)
    {
        try
        {
            await using var db = new NpgsqlConnection(connectionString);
            await db.OpenAsync(ct);
            await BatchProgress.Load(db, Guid.Empty, ct);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    /// <summary>Polls until the batch has ended; <paramref name="quietWhileUnknown"/>: a batch just sent may not be stored yet.</summary>
    public Task Wait(Guid batchId, bool quietWhileUnknown, CancellationToken ct) => ConsoleProgress.Track(async token =>
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync(token);
        var progress = await BatchProgress.Load(db, batchId, token);
        if (progress is null && !quietWhileUnknown)
        {
            Console.Error.WriteLine($"batch {batchId} is not in the database (yet)");
        }

        return progress;
    }, Interval, ct);

    /// <summary>Prints the batch's state and result table, and writes the JSON report when asked; 1 when the batch is unknown.</summary>
    public async Task<int> Report(Guid batchId, FileInfo? json, CancellationToken ct)
    {
        await using var context = new PlatformDbContext(PlatformDbContextOptions.Create(StorageProvider.Postgres, connectionString));
        var report = await BatchReport.Load(context, batchId, ct);
        if (report is null)
        {
            Console.Error.WriteLine($"batch {batchId} is not in the database (yet)");
            return 1;
        }

        Console.WriteLine($"batch {report.BatchId}: {report.Status}, {report.Ended}/{report.Problems} runs ended");
        ConsoleProgress.Print(report);
        if (json is not null)
        {
            await File.WriteAllTextAsync(json.FullName, System.Text.Json.JsonSerializer.Serialize(report, BatchReport.Json), ct);
        }

        return 0;
    }

    /// <summary>The connection string from --connection or ConnectionStrings__Platform; null (and a message) when neither is set.</summary>
    public static BatchWatch? From(string? option)
    {
        var cs = option ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
        if (string.IsNullOrWhiteSpace(cs))
        {
            Console.Error.WriteLine("error: no connection string: pass --connection or set ConnectionStrings__Platform");
            return null;
        }

        return new BatchWatch(cs);
    }
}
