using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Cli.Reports;

public sealed record LevelSummary(
    [property: JsonPropertyName("problems")] int Problems,
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("accuracy")] double Accuracy);

public sealed record BatchingSummary(
    [property: JsonPropertyName("decode_steps")] long DecodeSteps,
    [property: JsonPropertyName("mean_rows_per_decode_step")] double MeanRowsPerDecodeStep,
    [property: JsonPropertyName("scoring_passes")] long ScoringPasses,
    [property: JsonPropertyName("mean_rows_per_scoring_pass")] double MeanRowsPerScoringPass,
    [property: JsonPropertyName("decode_loops")] int DecodeLoops = 1,
    [property: JsonPropertyName("generator_prefix_cache")] PrefixCacheSummary? GeneratorPrefixCache = null,
    [property: JsonPropertyName("verifier_prefix_cache")] PrefixCacheSummary? VerifierPrefixCache = null,
    [property: JsonPropertyName("mean_cache_cells_per_decode_step")] double MeanCacheCellsPerDecodeStep = 0,
    [property: JsonPropertyName("decode_seconds")] double DecodeSeconds = 0);

/// <summary>A prefix cache's share of one batch: tokens looked up and found in it, and what it holds at the end.</summary>
public sealed record PrefixCacheSummary(
    [property: JsonPropertyName("looked_up_tokens")] long LookedUpTokens,
    [property: JsonPropertyName("hit_tokens")] long HitTokens,
    [property: JsonPropertyName("hit_rate")] double HitRate,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("capacity_bytes")] long CapacityBytes,
    [property: JsonPropertyName("evictions")] long Evictions)
{
    public static PrefixCacheSummary Of(Platform.Inference.Runtime.PrefixCacheStats s) =>
        new(s.LookedUpTokens, s.HitTokens, s.HitRate, s.Bytes, s.CapacityBytes, s.Evictions);
}

/// <summary>A batch's outcome from the database: what `ttc eval` and `ttc status` print and `--json` writes.</summary>
public sealed record BatchReport : Platform.Storage.Queries.ComputeTotals
{
    [JsonPropertyName("batch_id")] public Guid BatchId { get; init; }
    [JsonPropertyName("status")] public string Status { get; init; } = "";
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = "";
    [JsonPropertyName("problems")] public int Problems { get; init; }
    [JsonPropertyName("correct")] public int Correct { get; init; }
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    [JsonPropertyName("failed")] public int Failed { get; init; }
    [JsonPropertyName("ended")] public int Ended { get; init; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }
    [JsonPropertyName("by_level")] public SortedDictionary<string, LevelSummary> ByLevel { get; init; } = [];
    [JsonPropertyName("by_strategy")] public SortedDictionary<string, LevelSummary> ByStrategy { get; init; } = [];
    [JsonPropertyName("failures")] public List<string> Failures { get; init; } = [];
    [JsonPropertyName("rejection")] public string? Rejection { get; init; }

    /// <summary>How well concurrent runs shared forward passes (embedded runs only: the engines live in this process).</summary>
    [JsonPropertyName("batching")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public BatchingSummary? Batching { get; init; }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public bool Finished => Status is BatchStatus.Completed or BatchStatus.Rejected or BatchStatus.Cancelled;

    public static async Task<BatchReport?> Load(PlatformDbContext db, Guid batchId, CancellationToken ct)
    {
        var batch = await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null)
        {
            return null;
        }

        var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == batchId)
            .Select(r => new { r.Status, r.Correct, r.Strategy, r.N, r.FailureReason, r.Problem!.Level, r.Problem.Index }).ToListAsync(ct);
        var usage = await Platform.Operations.Usage.UsageTotals.ForBatch(db, batchId, ct);
        static LevelSummary Summary(IEnumerable<bool?> correct)
        {
            var list = correct.ToList();
            var right = list.Count(c => c == true);
            return new LevelSummary(list.Count, right, list.Count == 0 ? 0 : (double)right / list.Count);
        }

        var end = batch.CompletedAt ?? DateTimeOffset.UtcNow;
        return new BatchReport
        {
            BatchId = batchId, Status = batch.Status, Strategy = batch.RequestedStrategy ?? "policy", Problems = runs.Count,
            Correct = runs.Count(r => r.Correct == true),
            Accuracy = runs.Count == 0 ? 0 : runs.Count(r => r.Correct == true) / (double)runs.Count,
            Failed = runs.Count(r => r.Status == RunStatus.Failed),
            Ended = runs.Count(r => r.Status is RunStatus.Completed or RunStatus.Failed),
            PromptTokens = usage.PromptTokens, CachedPromptTokens = usage.CachedPromptTokens,
            GeneratedTokens = usage.GeneratedTokens, ScoredTokens = usage.ScoredTokens, CachedScoredTokens = usage.CachedScoredTokens,
            Flops = usage.Flops, WallSeconds = (end - batch.SubmittedAt).TotalSeconds,
            ByLevel = new SortedDictionary<string, LevelSummary>(runs.GroupBy(r => r.Level ?? "-").ToDictionary(g => g.Key, g => Summary(g.Select(r => r.Correct)))),
            ByStrategy = new SortedDictionary<string, LevelSummary>(runs.GroupBy(r => r.N > 1 ? $"{r.Strategy}@{r.N}" : r.Strategy).ToDictionary(g => g.Key, g => Summary(g.Select(r => r.Correct)))),
            Failures = runs.Where(r => r.Status == RunStatus.Failed).OrderBy(r => r.Index).Take(5).Select(r => $"problem {r.Index}: {r.FailureReason}").ToList(),
            Rejection = batch.RejectionReason,
        };
    }

    public string Table()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (Rejection is not null)
        {
            sb.AppendLine($"batch {BatchId} rejected: {Rejection}");
            return sb.ToString();
        }

        sb.AppendLine(string.Create(inv, $"{"level",-10} {"problems",9} {"correct",8} {"accuracy",9}"));
        foreach (var (level, s) in ByLevel)
        {
            sb.AppendLine(string.Create(inv, $"{level,-10} {s.Problems,9} {s.Correct,8} {100 * s.Accuracy,8:F1}%"));
        }

        sb.AppendLine(string.Create(inv, $"{"all",-10} {Problems,9} {Correct,8} {100 * Accuracy,8:F1}%"));
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"strategies: {string.Join(", ", ByStrategy.Select(kv => $"{kv.Key} x{kv.Value.Problems} ({100 * kv.Value.Accuracy:F1}%)"))}"));
        sb.AppendLine(string.Create(inv, $"generated tokens {GeneratedTokens:N0}; prompt tokens {PromptTokens:N0} (+{CachedPromptTokens:N0} from shared caches); scored tokens {ScoredTokens:N0} ({CachedScoredTokens:N0} of them from the verifier's cache)"));
        sb.AppendLine(string.Create(inv, $"FLOPs {Flops:E3}; wall time {WallSeconds:F1} s; failed runs {Failed}"));
        foreach (var failure in Failures)
        {
            sb.AppendLine($"  {failure}");
        }

        return sb.ToString();
    }
}
