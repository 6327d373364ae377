using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Platform.Storage.Entities;

namespace Platform.Storage.Queries;

/// <summary>One problem's result, as the results API and <c>ttc results</c> give it.</summary>
public sealed record ProblemResult : ComputeTotals
{
    [JsonPropertyName("problem_index")] public int ProblemIndex { get; init; }
    [JsonPropertyName("external_id")] public string? ExternalId { get; init; }
    [JsonPropertyName("status")] public string Status { get; init; } = "";
    [JsonPropertyName("answer")] public string? Answer { get; init; }
    [JsonPropertyName("reference")] public string? Reference { get; init; }
    [JsonPropertyName("correct")] public bool? Correct { get; init; }
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = "";
    [JsonPropertyName("parameters")] public JsonObject Parameters { get; init; } = [];
    [JsonPropertyName("difficulty_bin")] public int DifficultyBin { get; init; }
    [JsonPropertyName("difficulty_source")] public string DifficultySource { get; init; } = "";
    [JsonPropertyName("device_ms")] public double DeviceMilliseconds { get; init; }
    [JsonPropertyName("failure_reason")] public string? FailureReason { get; init; }
}

/// <summary>A batch in a listing.</summary>
public sealed record BatchSummary
{
    [JsonPropertyName("id")] public Guid Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("status")] public string Status { get; init; } = "";
    [JsonPropertyName("strategy")] public string? Strategy { get; init; }
    [JsonPropertyName("problems")] public int Problems { get; init; }
    [JsonPropertyName("runs_ended")] public int RunsEnded { get; init; }
    [JsonPropertyName("submitted_at")] public DateTimeOffset SubmittedAt { get; init; }
    [JsonPropertyName("completed_at")] public DateTimeOffset? CompletedAt { get; init; }
    [JsonPropertyName("rejection")] public string? Rejection { get; init; }
}

/// <summary>What happened to a cancellation request.</summary>
public enum CancelOutcome
{
    NotFound,
    Cancelled,
    AlreadyCancelled,
    AlreadyEnded,
}

/// <summary>
/// Reads for upstream systems that need results without SQL, and the cancellation of a batch. Results
/// stream in problem order (cursor: the last problem index seen) so memory stays flat at any size.
/// </summary>
public static class BatchQueries
{
    private static readonly HashSet<string> PlanParameters =
    [
        "n", "aggregation", "temperature", "beamWidth", "lookahead", "maxRounds", "iterations", "explorationConstant", "searchTokenBudget",
        "selectByValue", "maxNewTokens", "generatorModel", "verifierModel", "budgetForcing", "seed",
    ];

    /// <summary>Results after problem index <paramref name="after"/> (exclusive), at most <paramref name="limit"/>, in problem order.</summary>
    public static async IAsyncEnumerable<ProblemResult> Results(PlatformDbContext db, Guid batchId, int after, int limit, [EnumeratorCancellation] CancellationToken ct)
    {
        var query = db.Runs.AsNoTracking()
            .Where(r => r.BatchId == batchId && r.PlanKey == "main" && r.Problem!.Index > after)
            .OrderBy(r => r.Problem!.Index)
            .Take(limit)
            .Select(r => new
            {
                r.Problem!.Index, r.Problem.ExternalId, r.Status, r.Answer, r.Problem.ReferenceAnswer, r.Correct, r.Strategy, r.PlanJson,
                r.DifficultyBin, r.DifficultySource, r.PromptTokens, r.CachedPromptTokens, r.GeneratedTokens, r.ScoredTokens, r.CachedScoredTokens, r.Flops,
                r.DeviceMilliseconds, r.FailureReason,
            });
        await foreach (var r in query.AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return new ProblemResult
            {
                ProblemIndex = r.Index, ExternalId = r.ExternalId, Status = r.Status, Answer = r.Answer, Reference = r.ReferenceAnswer, Correct = r.Correct,
                Strategy = r.Strategy, Parameters = Parameters(r.PlanJson), DifficultyBin = r.DifficultyBin, DifficultySource = r.DifficultySource,
                PromptTokens = r.PromptTokens, CachedPromptTokens = r.CachedPromptTokens, GeneratedTokens = r.GeneratedTokens, ScoredTokens = r.ScoredTokens,
                CachedScoredTokens = r.CachedScoredTokens, Flops = r.Flops, DeviceMilliseconds = r.DeviceMilliseconds, FailureReason = r.FailureReason,
            };
        }
    }

    /// <summary>The plan's parameters that shape the strategy (not the run's bookkeeping).</summary>
    private static JsonObject Parameters(string planJson)
    {
        var result = new JsonObject();
        if (JsonNode.Parse(planJson) is not JsonObject plan)
        {
            return result;
        }

        foreach (var (key, value) in plan)
        {
            if (PlanParameters.Contains(key) && value is not null && !(value is JsonValue v && (v.ToString() is "0" or "false" or "")))
            {
                result[key] = value.DeepClone();
            }
        }

        return result;
    }

    /// <summary>Batches newest first, optionally by status and submitted since a time; keyset paging by (submitted_at, id).</summary>
    public static async Task<List<BatchSummary>> List(PlatformDbContext db, string? status, DateTimeOffset? since, int limit,
        (DateTimeOffset SubmittedAt, Guid Id)? before, CancellationToken ct)
    {
        var q = db.Batches.AsNoTracking().AsQueryable();
        if (status is not null)
        {
            q = q.Where(b => b.Status == status);
        }

        if (since is { } s)
        {
            q = q.Where(b => b.SubmittedAt >= s);
        }

        if (before is { } cursor)
        {
            q = q.Where(b => b.SubmittedAt < cursor.SubmittedAt || (b.SubmittedAt == cursor.SubmittedAt && b.Id.CompareTo(cursor.Id) < 0));
        }

        return await q.OrderByDescending(b => b.SubmittedAt).ThenByDescending(b => b.Id).Take(limit).Select(b => new BatchSummary
        {
            Id = b.Id, Name = b.Name, Status = b.Status, Strategy = b.RequestedStrategy, Problems = b.ProblemCount, RunsEnded = b.RunsEnded,
            SubmittedAt = b.SubmittedAt, CompletedAt = b.CompletedAt, Rejection = b.RejectionReason,
        }).ToListAsync(ct);
    }

    /// <summary>
    /// Cancels a batch: the batch ends cancelled (so nothing completes it any more), then its planned and
    /// running runs end as cancelled 5,000 at a time (the compute they already spent stays
    /// recorded; replies still in flight are dropped on arrival). Small transactions keep the lock
    /// footprint small: the Aggregator ends many runs per transaction while replies stream in, and one
    /// update of every run of a large batch deadlocked with it. A chunk PostgreSQL picks as a deadlock
    /// victim runs again; cancelling again finishes what an interrupted cancel left.
    /// </summary>
    public static async Task<CancelOutcome> Cancel(PlatformDbContext db, Guid batchId, DateTimeOffset now, CancellationToken ct)
    {
        var status = await db.Batches.Where(b => b.Id == batchId).Select(b => b.Status).SingleOrDefaultAsync(ct);
        switch (status)
        {
            case null:
                return CancelOutcome.NotFound;
            case not (BatchStatus.Accepted or BatchStatus.Cancelled):
                return CancelOutcome.AlreadyEnded;
        }

        var outcome = CancelOutcome.AlreadyCancelled;
        if (status == BatchStatus.Accepted)
        {
            var changed = await Retrying(() => db.Batches.Where(b => b.Id == batchId && b.Status == BatchStatus.Accepted)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BatchStatus.Cancelled).SetProperty(b => b.CompletedAt, now), ct), db, ct);
            if (changed == 0)
            {
                return CancelOutcome.AlreadyEnded; // completed meanwhile
            }

            outcome = CancelOutcome.Cancelled;
        }

        while (await Retrying(() => CancelSomeRuns(db, batchId, now, ct), db, ct) > 0)
        {
        }

        return outcome;
    }

    private const int CancelChunk = 5000;

    /// <summary>Ends up to <see cref="CancelChunk"/> unfinished runs of the batch as cancelled and counts them as ended, in one transaction.</summary>
    private static async Task<int> CancelSomeRuns(PlatformDbContext db, Guid batchId, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var ids = await db.Runs.Where(r => r.BatchId == batchId && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running))
            .Select(r => r.Id).Take(CancelChunk).ToListAsync(ct);
        if (ids.Count == 0)
        {
            return 0;
        }

        var cancelled = await db.Runs.Where(r => ids.Contains(r.Id) && (r.Status == RunStatus.Planned || r.Status == RunStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Cancelled).SetProperty(r => r.FailureReason, "cancelled")
                .SetProperty(r => r.UpdatedAt, now).SetProperty(r => r.CompletedAt, now), ct);
        await db.Batches.Where(b => b.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(b => b.RunsEnded, b => b.RunsEnded + cancelled), ct);
        await tx.CommitAsync(ct);
        return ids.Count;
    }

    /// <summary>Runs a statement or transaction again (up to five times) when PostgreSQL aborts it as a deadlock victim or a serialization failure.</summary>
    private static async Task<T> Retrying<T>(Func<Task<T>> work, PlatformDbContext db, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work();
            }
            catch (Exception e) when (attempt < 5 && IsSerializationFailure(e))
            {
                db.ChangeTracker.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt), ct);
            }
        }
    }

    /// <summary>A deadlock or serialization failure (SQLSTATE 40P01, 40001) anywhere in the exception chain.</summary>
    private static bool IsSerializationFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is Npgsql.PostgresException { SqlState: "40P01" or "40001" })
            {
                return true;
            }
        }

        return false;
    }

    public static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
