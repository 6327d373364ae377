using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.OpenAi;

/// <summary>A finished run as a completion is built from: its compute, and the candidates that can be its choices.</summary>
public sealed record RunView
{
    public Guid RunId { get; init; }
    public Guid BatchId { get; init; }
    public int Index { get; init; }
    public string? CustomId { get; init; }
    public string Status { get; init; } = "";
    public string? Answer { get; init; }
    public string Strategy { get; init; } = "";
    public int N { get; init; }
    public int DifficultyBin { get; init; }
    public string DifficultySource { get; init; } = "";
    public ComputeUsage Usage { get; init; } = new();
    public string? FailureReason { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public int Samples { get; set; }
    public List<CandidateView> Candidates { get; } = [];
}

public sealed record CandidateView(Guid RunId, string Key, int Round, string Text, string FinishReason, bool Selected, double? Score);

/// <summary>
/// Completions from stored runs: the selected candidate's text as the message (every sample as a choice for plain
/// sampling), OpenAI's usage from the run's exact compute, and the platform's own (<see cref="TtcUsage"/>).
/// One code path for the synchronous endpoints and a batch's output file.
/// </summary>
public static class CompletionBodies
{
    /// <summary>Runs of a batch after problem index <paramref name="after"/>, in problem order, with their choice candidates.</summary>
    public static async Task<List<RunView>> Load(PlatformDbContext db, Guid batchId, int after, int limit, bool allSamples, CancellationToken ct)
    {
        var runs = await db.Runs.AsNoTracking()
            .Where(r => r.BatchId == batchId && r.PlanKey == "main" && r.Problem!.Index > after)
            .OrderBy(r => r.Problem!.Index).Take(limit)
            .Select(r => new RunView
            {
                RunId = r.Id, BatchId = r.BatchId, Index = r.Problem!.Index, CustomId = r.Problem.ExternalId, Status = r.Status, Answer = r.Answer, Strategy = r.Strategy,
                N = r.N, DifficultyBin = r.DifficultyBin, DifficultySource = r.DifficultySource,
                Usage = new ComputeUsage
                {
                    PromptTokens = r.PromptTokens, CachedPromptTokens = r.CachedPromptTokens, GeneratedTokens = r.GeneratedTokens, ScoredTokens = r.ScoredTokens,
                    CachedScoredTokens = r.CachedScoredTokens, Flops = r.Flops, DeviceMilliseconds = r.DeviceMilliseconds,
                },
                FailureReason = r.FailureReason, CompletedAt = r.CompletedAt,
            }).ToListAsync(ct);
        if (runs.Count == 0)
        {
            return runs;
        }

        var ids = runs.Select(r => r.RunId).ToList();
        var byId = runs.ToDictionary(r => r.RunId);
        // Plain sampling: every sample. Otherwise the selected candidate, or (a vote picks an answer, not a text) those with the run's answer.
        var candidates = allSamples
            ? db.Candidates.AsNoTracking().Where(c => ids.Contains(c.RunId))
            : from c in db.Candidates.AsNoTracking()
              join r in db.Runs on c.RunId equals r.Id
              where ids.Contains(c.RunId) && (c.Selected || (c.ExtractedAnswer != null && c.ExtractedAnswer == r.Answer))
              select c;
        await foreach (var c in candidates.Select(c => new CandidateView(c.RunId, c.Key, c.Round, c.Text, c.FinishReason, c.Selected, c.Score)).AsAsyncEnumerable().WithCancellation(ct))
        {
            byId[c.RunId].Candidates.Add(c);
        }

        foreach (var count in await db.Candidates.Where(c => ids.Contains(c.RunId)).GroupBy(c => c.RunId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
        {
            byId[count.Key].Samples = count.Count;
        }

        return runs;
    }

    /// <summary>The completion a finished run answers with; <paramref name="model"/> is the model as the caller named it.</summary>
    public static Completion Body(RunView run, CompletionKind kind, string model, bool allSamples, string? id = null)
    {
        var chosen = allSamples
            ? [.. run.Candidates.OrderBy(c => c.Round).ThenBy(c => c.Key.Length).ThenBy(c => c.Key, StringComparer.Ordinal)]
            : run.Candidates.OrderByDescending(c => c.Selected).ThenByDescending(c => c.Score ?? double.MinValue).ThenBy(c => c.Key, StringComparer.Ordinal).Take(1).ToList();
        var texts = chosen.Count > 0 ? chosen.Select(c => (c.Text, Finish(c.FinishReason))).ToList() : [(run.Answer ?? "", "stop")];
        return new Completion
        {
            Id = id ?? Id(run, kind), Object = kind == CompletionKind.Chat ? "chat.completion" : "text_completion",
            Created = (run.CompletedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(), Model = model,
            Choices = [.. texts.Select((t, i) => kind == CompletionKind.Chat
                ? new CompletionChoice { Index = i, Message = new AssistantMessage { Content = t.Text }, FinishReason = t.Item2 }
                : new CompletionChoice { Index = i, Text = t.Text, FinishReason = t.Item2 })],
            Usage = Usage(run), TtcUsage = Ttc(run),
        };
    }

    /// <summary>A completion's id: its batch's for a request of its own (the batch is named by it), its run's for a line of a batch file.</summary>
    public static string Id(Guid id, CompletionKind kind) => (kind == CompletionKind.Chat ? "chatcmpl-" : "cmpl-") + id.ToString("N");

    private static string Id(RunView run, CompletionKind kind) => Id(run.RunId, kind);

    public static CompletionUsage Usage(RunView run) => new()
    {
        // OpenAI counts every prompt token, of which cached_tokens were served from a cache; the platform counts the two apart.
        PromptTokens = run.Usage.PromptTokens + run.Usage.CachedPromptTokens, CompletionTokens = run.Usage.GeneratedTokens,
        TotalTokens = run.Usage.PromptTokens + run.Usage.CachedPromptTokens + run.Usage.GeneratedTokens,
        PromptTokensDetails = new PromptTokenDetails { CachedTokens = run.Usage.CachedPromptTokens },
    };

    public static TtcUsage Ttc(RunView run) => new()
    {
        Strategy = run.Strategy, N = run.N, Samples = run.Samples, GeneratedTokens = run.Usage.GeneratedTokens, ScoredTokens = run.Usage.ScoredTokens, CachedScoredTokens = run.Usage.CachedScoredTokens, Flops = run.Usage.Flops,
        DeviceMilliseconds = run.Usage.DeviceMilliseconds, DifficultyBin = run.DifficultyBin, DifficultySource = run.DifficultySource, Answer = run.Answer,
        BatchId = run.BatchId, RunId = run.RunId,
    };

    /// <summary>A run that did not complete, as the error its request gets.</summary>
    public static OpenAiError Failure(RunView run) => run.Status == RunStatus.Cancelled
        ? new OpenAiError(StatusCodes.Status409Conflict, $"the request's run was cancelled{(run.FailureReason is { } r ? $": {r}" : "")}", null, "cancelled")
        : new OpenAiError(StatusCodes.Status500InternalServerError, $"the request's run failed: {run.FailureReason ?? "no reason recorded"}", null, "run_failed");

    /// <summary>OpenAI's finish reasons: stop (end of sequence, a stop string) or length (the token limit, the context).</summary>
    private static string Finish(string reason) => reason is "length" or "context" ? "length" : "stop";
}
