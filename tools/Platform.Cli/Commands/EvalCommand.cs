using System.CommandLine;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Cli.Embedded;
using Platform.Cli.Reports;
using Platform.Storage;

namespace Platform.Cli.Commands;

/// <summary><c>ttc eval FILE</c>: the whole platform in one process (in-memory bus, SQLite), with a progress bar and a closing table.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var input = new BatchInput();
        var json = new Option<FileInfo?>("--json") { Description = "Write the summary as JSON" };
        var database = new Option<FileInfo?>("--db") { Description = "SQLite file to keep (default: a new temporary file)" };
        var models = new Option<DirectoryInfo?>("--models") { Description = "Folder of models (default: the repository's models/)" };
        var recipe = new Option<FileInfo?>("--recipe") { Description = "How the generator is prompted and stepped (recipes/*.json; default: the model's own)" };
        var policy = new Option<FileInfo?>("--policy-file") { Description = "Fitted policy for --strategy compute-optimal (default: models/policy.json)" };
        var warmup = new Option<int>("--warmup")
        {
            Description = "First run a batch of the first K problems (another seed, not reported; kept in the database) so the measured batch runs past JIT and query compilation, as a long-running service does",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("eval", "Run a batch on the embedded platform (one process, in-memory bus, SQLite)");
        input.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(database);
        command.Options.Add(models);
        command.Options.Add(policy);
        command.Options.Add(recipe);
        command.Options.Add(warmup);
        command.SetAction(async (parse, ct) =>
        {
            if (input.Read(parse) is not { } batch)
            {
                return 2;
            }

            var batchId = batch.BatchId;

            var path = parse.GetValue(database)?.FullName ?? Path.Combine(Path.GetTempPath(), $"ttc-eval-{batchId:N}.db");
            var settings = new Dictionary<string, string?>();
            try
            {
                batch = ModelFolders.ToCatalog(batch, parse.GetValue(recipe), settings);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                Console.Error.WriteLine($"error: --recipe: {e.Message}");
                return 2;
            }

            if (parse.GetValue(models) is { } folder)
            {
                settings["Models:Directory"] = folder.FullName;
            }

            if (parse.GetValue(policy) is { } policyFile)
            {
                settings["Router:PolicyFile"] = policyFile.FullName;
            }

            using var host = EmbeddedPlatform.Build(path, settings);
            await host.StartAsync(ct);
            try
            {
                var generation = host.Services.GetRequiredService<Platform.Generator.GenerationService>();
                var scoring = host.Services.GetRequiredService<Platform.Verifier.ScoringService>();
                if (parse.GetValue(warmup) is > 0 and var k)
                {
                    Console.Error.WriteLine($"warm-up: the first {Math.Min(k, batch.Problems.Count)} problems with another seed (not reported)");
                    await Run(host, batch with { BatchId = NewId.NextGuid(), Name = "warm-up", Problems = [.. batch.Problems.Take(k)], Seed = (batch.Seed ?? 0) + 1 }, ct);
                }

                // The measured batch's share of the decode steps and scoring passes (the warm-up's are left out).
                var (steps, rows, cells, decode) = (generation.Steps, generation.RowSteps, generation.CellSteps, generation.DecodeTime);
                var (passes, scored) = (scoring.Passes, scoring.MeanRowsPerPass * scoring.Passes);
                var catalog = host.Services.GetRequiredService<Platform.Inference.Models.ModelCatalog>();
                var (generatorCache, verifierCache) = catalog.PrefixCaches();
                var report = await Run(host, batch, ct);
                var (generatorCacheAfter, verifierCacheAfter) = catalog.PrefixCaches();
                static double Mean(double total, long count) => count > 0 ? total / count : 0;
                report = report with
                {
                    Batching = new BatchingSummary(generation.Steps - steps, Mean(generation.RowSteps - rows, generation.Steps - steps),
                        scoring.Passes - passes, Mean(scoring.MeanRowsPerPass * scoring.Passes - scored, scoring.Passes - passes), generation.Engines,
                        PrefixCacheSummary.Of(generatorCacheAfter.Since(generatorCache)), PrefixCacheSummary.Of(verifierCacheAfter.Since(verifierCache)),
                        Mean(generation.CellSteps - cells, generation.Steps - steps), (generation.DecodeTime - decode).TotalSeconds),
                };
                ConsoleProgress.Print(report);
                Console.WriteLine($"database: {path}");
                if (parse.GetValue(json) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(report, BatchReport.Json), ct);
                }

                return report.Rejection is null ? 0 : 1;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        });
        return command;
    }

    /// <summary>Submits the batch to an embedded host and waits for it to end, drawing progress on an interactive terminal.</summary>
    public static async Task<BatchReport> Run(IHost host, Platform.Contracts.SubmitBatch batch, CancellationToken ct)
    {
        await EmbeddedPlatform.Submit(host, batch, ct);
        await ConsoleProgress.Track(async token =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await BatchProgress.Load(scope.ServiceProvider.GetRequiredService<PlatformDbContext>(), batch.BatchId, token);
        }, TimeSpan.FromMilliseconds(500), ct);

        await using var final = host.Services.CreateAsyncScope();
        return await BatchReport.Load(final.ServiceProvider.GetRequiredService<PlatformDbContext>(), batch.BatchId, ct)
            ?? throw new InvalidOperationException($"batch {batch.BatchId} disappeared from the database");
    }
}
