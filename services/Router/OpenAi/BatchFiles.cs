using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.OpenAi;

/// <summary>
/// An uploaded batch input file as a platform batch: every line read as the synchronous endpoint reads a body
/// (<see cref="CompletionRequests"/>) and checked by the planner; valid lines become problems (custom_id as
/// the external id), the others error rows with the reason. Status, counts and the output and error files
/// come from the platform batch of the same id.
/// </summary>
public static class BatchFiles
{
    private const int RunsPerPage = 1000;
    private static readonly string[] LineFields = ["custom_id", "method", "url", "body"];

    /// <summary>A line that can run, or why not.</summary>
    public sealed record LineRead(int Line, string? CustomId, CompletionRequest? Request, OpenAiBatchError? Error);

    /// <summary>Reads one line of an input file for <paramref name="endpoint"/>.</summary>
    public static LineRead Read(Guid batchId, OpenAiFileLine line, string endpoint, (string Settings, CompletionRequest Request)? like = null)
    {
        OpenAiBatchError Error(string? customId, string code, string message, string? param = null) =>
            new() { BatchId = batchId, Line = line.Line, CustomId = customId is null ? null : Truncate(customId, 256), Code = code, Message = Truncate(message, 2000), Param = param };
        LineRead Bad(string? customId, string code, string message, string? param = null) => new(line.Line, customId, null, Error(customId, code, message, param));

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.Text, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return Bad(null, "invalid_json", $"line {line.Line} is not valid JSON at byte {(e.BytePositionInLine ?? 0) + 1}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Bad(null, "invalid_json", $"line {line.Line} must be a JSON object with custom_id, method, url and body");
            }

            var customId = root.TryGetProperty("custom_id", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (root.EnumerateObject().Select(p => p.Name).FirstOrDefault(name => !LineFields.Contains(name)) is { } unknown)
            {
                return Bad(customId, "invalid_request", $"unknown field '{unknown}' (a line has {string.Join(", ", LineFields)})", unknown);
            }

            if (customId is not { Length: > 0 and <= 256 })
            {
                return Bad(customId, "invalid_custom_id", "custom_id is required: a string of 1 to 256 characters", "custom_id");
            }

            if (!root.TryGetProperty("method", out var m) || m.GetString() != "POST")
            {
                return Bad(customId, "invalid_method", "method must be POST", "method");
            }

            if (!root.TryGetProperty("url", out var u) || u.GetString() != endpoint)
            {
                return Bad(customId, "invalid_url", $"url must be the batch's endpoint, {endpoint}", "url");
            }

            if (!root.TryGetProperty("body", out var body))
            {
                return Bad(customId, "invalid_request", "body is required: the request's body", "body");
            }

            var kind = endpoint == CompletionRequests.ChatPath ? CompletionKind.Chat : CompletionKind.Text;
            CompletionRequest? request;
            OpenAiError? error;
            if (like is { } known && CompletionRequests.SettingsText(body) == known.Settings)
            {
                // The same fields as a line read in full (the usual batch file): only the problem is new.
                var (problem, problemError) = CompletionRequests.ReadProblem(body, kind);
                (request, error) = (problem is null ? null : known.Request with { Problem = problem }, problemError);
            }
            else
            {
                (request, error) = CompletionRequests.Read(body, kind);
            }

            if (request is null)
            {
                return Bad(customId, error!.Code ?? "invalid_request", error.Message, $"body.{error.Param}");
            }

            return request.Stream ? Bad(customId, "invalid_request", "stream is not supported in a batch", "body.stream") : new LineRead(line.Line, customId, request, null);
        }
    }

    /// <summary>
    /// Reads every line of the file (a page at a time) into the batch to submit and the error rows. Every line must ask for
    /// the same settings (model, ttc, n, temperature, top_p, max_tokens, seed) as the first valid one, as one platform batch runs one setting.
    /// </summary>
    public static async Task<(SubmitBatch? Submit, CompletionRequest? First, List<OpenAiBatchError> Errors)> Plan(PlatformDbContext db, BatchPlanner planner, Guid batchId,
        string fileId, string endpoint, CancellationToken ct)
    {
        var errors = new List<OpenAiBatchError>();
        var problems = new List<ProblemSubmission>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        (CompletionRequest Request, string Key, int Line)? first = null;
        (bool Checked, OpenAiError? Refusal) settings = (false, null);
        bool? chatTemplate = null;
        (string Settings, CompletionRequest Request)? like = null;
        await foreach (var line in FileEndpoints.Lines(db, fileId, ct))
        {
            var read = Read(batchId, line, endpoint, like);
            if (read.Error is not null)
            {
                errors.Add(read.Error);
                continue;
            }

            var request = read.Request!;
            if (!seen.Add(read.CustomId!))
            {
                errors.Add(Refused(batchId, read, "duplicate_custom_id", $"custom_id '{read.CustomId}' is used by an earlier line; every line needs its own", "custom_id"));
                continue;
            }

            if (first is null)
            {
                first = (request, request.SettingsKey, line.Line);
                like = SettingsOf(line) is { } text ? (text, request) : null;
            }

            if (!ReferenceEquals(request.Settings, first.Value.Request.Settings) && request.SettingsKey != first.Value.Key)
            {
                errors.Add(Refused(batchId, read, "mismatched_settings",
                    $"line {line.Line} asks for other settings than line {first.Value.Line}: model, ttc, n, temperature, top_p, max_tokens and seed must be the same on every line of a batch"));
                continue;
            }

            chatTemplate ??= planner.ChatTemplate(request.Settings.GeneratorModel); // every line has the first's generator
            if (OpenAiBodies.ProblemRefusal(planner, request, chatTemplate) is { } problem)
            {
                errors.Add(Refused(batchId, read, problem.Code ?? "invalid_request", problem.Message, $"body.{problem.Param}"));
                continue;
            }

            if (!settings.Checked)
            {
                // The shared settings, checked once, with the first problem that can run.
                settings = (true, OpenAiBodies.SettingsRefusal(planner, request.Settings with { BatchId = batchId, Problems = [request.Problem] }, request.Kind));
            }

            if (settings.Refusal is { } refusal)
            {
                errors.Add(Refused(batchId, read, refusal.Code ?? "invalid_request", refusal.Message, $"body.{refusal.Param}"));
                continue;
            }

            problems.Add(request.Problem with { ExternalId = read.CustomId });
        }

        var submit = problems.Count == 0 ? null : first!.Value.Request.Settings with { BatchId = batchId, Problems = problems };
        return (submit, first?.Request, errors);
    }

    /// <summary>The settings text of a line's body (<see cref="CompletionRequests.SettingsText"/>).</summary>
    private static string? SettingsOf(OpenAiFileLine line)
    {
        using var document = JsonDocument.Parse(line.Text);
        return document.RootElement.TryGetProperty("body", out var body) ? CompletionRequests.SettingsText(body) : null;
    }

    /// <summary>A batch of the caller's, or null.</summary>
    public static Task<OpenAiBatch?> Owned(PlatformDbContext db, Guid id, string owner, CancellationToken ct) =>
        db.OpenAiBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id && b.Submitter == owner, ct);

    /// <summary>The batch in OpenAI's shape: status and counts from the platform batch of the same id.</summary>
    public static async Task<BatchObject> View(PlatformDbContext db, OpenAiBatch row, CancellationToken ct)
    {
        var batch = await db.Batches.AsNoTracking().Where(b => b.Id == row.Id).Select(b => new { b.Status, b.SubmittedAt, b.CompletedAt }).FirstOrDefaultAsync(ct);
        var counts = batch is null ? [] : await db.Runs.AsNoTracking().Where(r => r.BatchId == row.Id && r.PlanKey == "main").GroupBy(r => r.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var completed = counts.GetValueOrDefault(RunStatus.Completed);
        var failed = row.ErrorCount + counts.GetValueOrDefault(RunStatus.Failed) + counts.GetValueOrDefault(RunStatus.Cancelled);
        var status = row.ValidatedAt is null ? "validating"
            : row.ErrorCount == row.RequestTotal ? "failed"
            : batch is null ? "validating"
            : batch.Status switch
            {
                BatchStatus.Completed => "completed",
                BatchStatus.Cancelled => "cancelled",
                BatchStatus.Rejected => "failed",
                _ => "in_progress",
            };
        var ended = status is "completed" or "cancelled" or "failed";
        long? At(DateTimeOffset? t) => t?.ToUnixTimeSeconds();
        var errors = status == "failed"
            ? await db.OpenAiBatchErrors.AsNoTracking().Where(e => e.BatchId == row.Id).OrderBy(e => e.Line).Take(100)
                .Select(e => new BatchLineError { Code = e.Code, Message = e.Message, Param = e.Param, Line = e.Line }).ToListAsync(ct)
            : null;
        return new BatchObject
        {
            Id = OpenAiIds.Batch(row.Id), Endpoint = row.Endpoint, InputFileId = row.InputFileId, CompletionWindow = row.CompletionWindow, Status = status,
            Errors = errors is null ? null : new ListOf<BatchLineError> { Data = errors },
            OutputFileId = ended && completed > 0 ? OpenAiIds.Output(row.Id) : null, ErrorFileId = ended && failed > 0 ? OpenAiIds.Errors(row.Id) : null,
            CreatedAt = row.CreatedAt.ToUnixTimeSeconds(), InProgressAt = At(batch?.SubmittedAt), ExpiresAt = row.CreatedAt.AddHours(24).ToUnixTimeSeconds(),
            FinalizingAt = status == "completed" ? At(batch?.CompletedAt) : null, CompletedAt = status == "completed" ? At(batch?.CompletedAt) : null,
            FailedAt = status == "failed" ? At(batch?.CompletedAt ?? row.ValidatedAt) : null,
            CancellingAt = status == "cancelled" ? At(batch?.CompletedAt) : null, CancelledAt = status == "cancelled" ? At(batch?.CompletedAt) : null,
            RequestCounts = new RequestCounts { Total = row.RequestTotal, Completed = completed, Failed = failed },
            Metadata = row.MetadataJson is { } json ? JsonNode.Parse(json) as JsonObject : null,
        };
    }

    /// <summary>
    /// Writes the output file (a line per completed request, in input order) or the error file (the refused lines,
    /// then the requests whose runs failed or were cancelled) as JSON lines, a page of runs at a time.
    /// </summary>
    public static async Task WriteResults(PlatformDbContext db, OpenAiBatch batch, bool errors, Stream destination, CancellationToken ct)
    {
        var writer = new StreamWriter(destination, new UTF8Encoding(false), 1 << 16);
        await using (writer)
        {
            async Task Write(BatchOutputLine line) => await writer.WriteLineAsync(JsonSerializer.Serialize(line, OpenAiJson.Lines));
            if (errors)
            {
                foreach (var e in await db.OpenAiBatchErrors.AsNoTracking().Where(e => e.BatchId == batch.Id).OrderBy(e => e.Line).ToListAsync(ct))
                {
                    await Write(new BatchOutputLine
                    {
                        Id = $"batch_req_line_{e.Line}", CustomId = e.CustomId, Error = new BatchLineError { Code = e.Code, Message = e.Message, Param = e.Param, Line = e.Line },
                    });
                }
            }

            var kind = batch.Endpoint == CompletionRequests.ChatPath ? CompletionKind.Chat : CompletionKind.Text;
            var after = -1;
            while (true)
            {
                var page = await CompletionBodies.Load(db, batch.Id, after, RunsPerPage, batch.AllSamples, ct);
                foreach (var run in page)
                {
                    if (run.Status == RunStatus.Completed && !errors)
                    {
                        await Write(new BatchOutputLine
                        {
                            Id = OpenAiIds.Request(run.RunId), CustomId = run.CustomId,
                            Response = new BatchResponse { RequestId = "req_" + run.RunId.ToString("N"), Body = CompletionBodies.Body(run, kind, batch.Model, batch.AllSamples) },
                        });
                    }
                    else if (run.Status is RunStatus.Failed or RunStatus.Cancelled && errors)
                    {
                        var failure = CompletionBodies.Failure(run);
                        await Write(new BatchOutputLine { Id = OpenAiIds.Request(run.RunId), CustomId = run.CustomId, Error = new BatchLineError { Code = failure.Code ?? "", Message = failure.Message } });
                    }
                }

                if (page.Count < RunsPerPage)
                {
                    break;
                }

                after = page[^1].Index;
            }
        }
    }

    private static OpenAiBatchError Refused(Guid batchId, LineRead read, string code, string message, string? param = null) =>
        new() { BatchId = batchId, Line = read.Line, CustomId = read.CustomId, Code = code, Message = Truncate(message, 2000), Param = param };

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}

/// <summary>JSON for the result files: OpenAI's names (on the records), text as written (no escaping of + or &lt;).</summary>
public static class OpenAiJson
{
    public static readonly JsonSerializerOptions Lines = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
