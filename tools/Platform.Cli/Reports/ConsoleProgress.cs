using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Storage;
using Platform.Storage.Entities;
using Spectre.Console;

namespace Platform.Cli.Reports;

/// <summary>Where a batch stands, read with two small queries (cheap enough to poll while it runs).</summary>
public sealed record BatchProgress(string Status, int Total, int Ended, long GeneratedTokens)
{
    public bool Finished => Status is BatchStatus.Completed or BatchStatus.Rejected or BatchStatus.Cancelled;

    public static async Task<BatchProgress?> Load(PlatformDbContext db, Guid batchId, CancellationToken ct)
    {
        var batch = await db.Batches.AsNoTracking().Where(b => b.Id == batchId).Select(b => new { b.Status, b.ProblemCount }).SingleOrDefaultAsync(ct);
        if (batch is null)
        {
            return null;
        }

        var ended = await db.Runs.AsNoTracking().CountAsync(r => r.BatchId == batchId && (r.Status == RunStatus.Completed || r.Status == RunStatus.Failed), ct);
        var tokens = await db.ComputeUsage.AsNoTracking().Where(u => u.BatchId == batchId).SumAsync(u => (long?)u.GeneratedTokens, ct) ?? 0;
        return new BatchProgress(batch.Status, batch.ProblemCount, ended, tokens);
    }

    /// <summary>
    /// The same from PostgreSQL in one statement over plain Npgsql, for a client watching a batch from
    /// another process: no EF Core model or query compilation while the batch runs, whose CPU a watching
    /// `ttc status --wait` would take from the services on a shared machine. Ended counts completed and
    /// failed runs, as <see cref="Load(PlatformDbContext, Guid, CancellationToken)"/>.
    /// </summary>
    public static async Task<BatchProgress?> Load(NpgsqlConnection connection, Guid batchId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"""
            select b.status, b.problem_count,
              (select count(*) from {PlatformDbContext.Schema}.runs r where r.batch_id = b.id and r.status in ('{RunStatus.Completed}', '{RunStatus.Failed}')),
              (select coalesce(sum(u.generated_tokens), 0) from {PlatformDbContext.Schema}.compute_usage u where u.batch_id = b.id)::bigint
            from {PlatformDbContext.Schema}.batches b where b.id = @id
            """, connection);
        command.Parameters.AddWithValue("id", batchId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new BatchProgress(reader.GetString(0), reader.GetInt32(1), (int)reader.GetInt64(2), reader.GetInt64(3))
            : null;
    }
}

/// <summary>
/// The CLI's progress and result tables, drawn with Spectre.Console on an interactive terminal: a bar
/// with runs done, generated tokens per second and the time left on standard error, and the result
/// table on standard output. Redirected output keeps the plain text (what scripts read) unchanged.
/// </summary>
public static class ConsoleProgress
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static bool Interactive => !Console.IsErrorRedirected;

    /// <summary>Polls <paramref name="poll"/> until it reports a finished batch, drawing progress when the terminal is interactive.</summary>
    public static async Task Track(Func<CancellationToken, Task<BatchProgress?>> poll, TimeSpan interval, CancellationToken ct)
    {
        if (!Interactive)
        {
            while (await poll(ct) is not { Finished: true })
            {
                await Task.Delay(interval, ct);
            }

            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("runs", autoStart: true, maxValue: 1);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var lastTokens = 0L;
                var lastTime = TimeSpan.Zero;
                var rate = 0.0;
                while (true)
                {
                    var progress = await poll(ct);
                    if (progress is not null)
                    {
                        var now = clock.Elapsed;
                        if (now - lastTime >= TimeSpan.FromSeconds(1))
                        {
                            rate = (progress.GeneratedTokens - lastTokens) / (now - lastTime).TotalSeconds;
                            (lastTokens, lastTime) = (progress.GeneratedTokens, now);
                        }

                        task.MaxValue = Math.Max(1, progress.Total);
                        task.Value = progress.Ended;
                        task.Description = string.Create(Inv, $"runs {progress.Ended:N0}/{progress.Total:N0} · {Rate(rate)} tokens/s");
                        if (progress.Finished)
                        {
                            task.Description = string.Create(Inv, $"runs {progress.Ended:N0}/{progress.Total:N0} · {Rate(progress.GeneratedTokens / Math.Max(0.001, now.TotalSeconds))} tokens/s on average");
                            task.Value = task.MaxValue;
                            task.StopTask();
                            return;
                        }
                    }

                    await Task.Delay(interval, ct);
                }
            });
    }

    private static string Rate(double tokensPerSecond) =>
        tokensPerSecond >= 1000 ? (tokensPerSecond / 1000).ToString("F1", Inv) + "k" : tokensPerSecond.ToString("F0", Inv);

    /// <summary>Prints the result: a Spectre table on a terminal, the plain table when standard output is redirected.</summary>
    public static void Print(BatchReport report)
    {
        if (Console.IsOutputRedirected || report.Rejection is not null)
        {
            Console.WriteLine(report.Table());
            return;
        }

        AnsiConsole.MarkupLine($"[bold]batch[/] {report.BatchId} ({Markup.Escape(report.Status)})");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("level");
        table.AddColumn(new TableColumn("problems").RightAligned());
        table.AddColumn(new TableColumn("correct").RightAligned());
        table.AddColumn(new TableColumn("accuracy").RightAligned());
        foreach (var (level, s) in report.ByLevel)
        {
            table.AddRow(Markup.Escape(level), s.Problems.ToString(Inv), s.Correct.ToString(Inv), (100 * s.Accuracy).ToString("F1", Inv) + "%");
        }

        table.AddRow("[bold]all[/]", report.Problems.ToString(Inv), report.Correct.ToString(Inv), $"[bold]{(100 * report.Accuracy).ToString("F1", Inv)}%[/]");
        AnsiConsole.Write(table);

        var compute = new Table().Border(TableBorder.Simple).HideHeaders();
        compute.AddColumn("what");
        compute.AddColumn(new TableColumn("value").RightAligned());
        compute.AddRow("strategies", Markup.Escape(string.Join(", ", report.ByStrategy.Select(kv => string.Create(Inv, $"{kv.Key} x{kv.Value.Problems} ({100 * kv.Value.Accuracy:F1}%)")))));
        compute.AddRow("generated tokens", report.GeneratedTokens.ToString("N0", Inv));
        compute.AddRow("prompt tokens (tokens read from caches, not computed)", string.Create(Inv, $"{report.PromptTokens:N0} (+{report.CachedPromptTokens:N0})"));
        compute.AddRow("scored tokens (read from the verifier's cache)", string.Create(Inv, $"{report.ScoredTokens:N0} ({report.CachedScoredTokens:N0})"));
        compute.AddRow("FLOPs", report.Flops.ToString("E3", Inv));
        compute.AddRow("wall time", report.WallSeconds.ToString("F1", Inv) + " s");
        compute.AddRow("failed runs", report.Failed.ToString(Inv));
        if (report.Batching is { } b)
        {
            compute.AddRow("rows per decode step / scoring pass", string.Create(Inv, $"{b.MeanRowsPerDecodeStep:F1} / {b.MeanRowsPerScoringPass:F1} ({b.DecodeLoops} decode loop{(b.DecodeLoops == 1 ? "" : "s")})"));
            if (b is { GeneratorPrefixCache: { } g, VerifierPrefixCache: { } v })
            {
                compute.AddRow("prefix cache hit rate: generator / verifier", string.Create(Inv, $"{100 * g.HitRate:F1}% / {100 * v.HitRate:F1}% ({g.Evictions + v.Evictions:N0} evictions)"));
            }
        }

        AnsiConsole.Write(compute);
        foreach (var failure in report.Failures)
        {
            AnsiConsole.MarkupLine($"  [red]{Markup.Escape(failure)}[/]");
        }
    }
}
