using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Hosting;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;
using Platform.Storage.Queries;

namespace Platform.Router.OpenAi;

/// <summary>
/// OpenAI's Batch API over the platform's batches: create from an uploaded file (one platform batch per upload),
/// get, cancel and list; the output and error files are read through the Files API. A key sees only its own batches.
/// </summary>
public static class BatchApiEndpoints
{
    private static readonly string[] CreateFields = ["input_file_id", "endpoint", "completion_window", "metadata"];

    public static RouteGroupBuilder MapBatchApiEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/batches", Create)
            .WithName("CreateOpenAiBatch").WithSummary("Create a batch from an uploaded file (validating: its lines are read in the background); valid lines run, invalid ones go to the error file")
            .Accepts<JsonElement>("application/json").Produces<BatchObject>().Produces<ErrorBody>(400).Produces<ErrorBody>(404);

        v1.MapGet("/batches/{id}", async (string id, HttpContext http, PlatformDbContext db, CancellationToken ct) =>
            await Find(db, id, http, ct) is { } row ? Results.Json(await BatchFiles.View(db, row, ct)) : NotFound(id))
            .WithName("GetOpenAiBatch").WithSummary("A batch's status, request counts and result files").Produces<BatchObject>().Produces<ErrorBody>(404);

        v1.MapPost("/batches/{id}/cancel", async (string id, HttpContext http, PlatformDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            if (await Find(db, id, http, ct) is not { } row)
            {
                return NotFound(id);
            }

            return await BatchQueries.Cancel(db, row.Id, clock.GetUtcNow(), ct) switch
            {
                CancelOutcome.NotFound when row.ValidatedAt is null || row.ErrorCount < row.RequestTotal =>
                    new OpenAiError(StatusCodes.Status409Conflict, $"batch {id} is still validating; cancel it again in a moment", null, "batch_validating").Result(),
                CancelOutcome.NotFound or CancelOutcome.AlreadyEnded =>
                    new OpenAiError(StatusCodes.Status409Conflict, $"batch {id} has already ended ({(await BatchFiles.View(db, row, ct)).Status})", null, "batch_ended").Result(),
                _ => Results.Json(await BatchFiles.View(db, row, ct)),
            };
        }).WithName("CancelOpenAiBatch").WithSummary("Cancel a batch: runs not yet ended are cancelled").Produces<BatchObject>().Produces<ErrorBody>(404).Produces<ErrorBody>(409);

        v1.MapGet("/batches", async (HttpContext http, PlatformDbContext db, int? limit, string? after, CancellationToken ct) =>
        {
            var owner = FileEndpoints.Owner(http);
            var size = Math.Clamp(limit ?? 20, 1, 100);
            var query = db.OpenAiBatches.AsNoTracking().Where(b => b.Submitter == owner);
            if (after is not null)
            {
                if (OpenAiIds.ParseBatch(after) is not { } cursor || await db.OpenAiBatches.AsNoTracking().Where(b => b.Id == cursor && b.Submitter == owner).Select(b => (DateTimeOffset?)b.CreatedAt).FirstOrDefaultAsync(ct) is not { } at)
                {
                    return OpenAiError.Invalid("after", $"'{after}' is not a batch id of this key's").Result();
                }

                query = query.Where(b => b.CreatedAt < at || (b.CreatedAt == at && b.Id.CompareTo(cursor) < 0));
            }

            var rows = await query.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(size + 1).ToListAsync(ct);
            var data = new List<BatchObject>();
            foreach (var row in rows.Take(size))
            {
                data.Add(await BatchFiles.View(db, row, ct));
            }

            return Results.Json(new ListOf<BatchObject> { Data = data, FirstId = data.FirstOrDefault()?.Id, LastId = data.LastOrDefault()?.Id, HasMore = rows.Count > size });
        }).WithName("ListOpenAiBatches").WithSummary("This key's batches, newest first (after: a batch id)").Produces<ListOf<BatchObject>>().Produces<ErrorBody>(400);
        return v1;
    }

    private static async Task<IResult> Create(HttpContext http, PlatformDbContext db, BatchValidator validator, TimeProvider clock, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct)).RootElement;
        }
        catch (JsonException)
        {
            return OpenAiError.Invalid("body", "the body is not valid JSON").Result();
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return OpenAiError.Invalid("body", "the body must be a JSON object").Result();
        }

        if (body.EnumerateObject().Select(p => p.Name).FirstOrDefault(name => !CreateFields.Contains(name)) is { } unknown)
        {
            return OpenAiError.Invalid(unknown, $"unrecognized request argument supplied: {unknown} (known: {string.Join(", ", CreateFields)})", "unknown_parameter").Result();
        }

        string? Text(string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var endpoint = Text("endpoint");
        if (endpoint is not (CompletionRequests.ChatPath or CompletionRequests.TextPath))
        {
            return OpenAiError.Invalid("endpoint", $"endpoint must be {CompletionRequests.ChatPath} or {CompletionRequests.TextPath} (was '{endpoint}')", "unsupported_endpoint").Result();
        }

        if (Text("completion_window") is not "24h")
        {
            return OpenAiError.Invalid("completion_window", $"completion_window must be 24h (was '{Text("completion_window")}')").Result();
        }

        string? metadata = null;
        if (body.TryGetProperty("metadata", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.Object || m.EnumerateObject().Count() > 16 || m.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String || p.Name.Length > 64 || p.Value.GetString()!.Length > 512))
            {
                return OpenAiError.Invalid("metadata", "metadata must be an object of at most 16 string values (keys up to 64 characters, values up to 512)").Result();
            }

            metadata = m.GetRawText();
        }

        var owner = FileEndpoints.Owner(http);
        var fileId = Text("input_file_id") ?? "";
        if (await db.OpenAiFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Id == fileId && f.Submitter == owner, ct) is not { } file)
        {
            return new OpenAiError(StatusCodes.Status404NotFound, $"no such file: '{fileId}' (upload it with POST /v1/files, purpose batch)", "input_file_id", "file_not_found").Result();
        }

        if (file.LineCount == 0)
        {
            return OpenAiError.Invalid("input_file_id", $"file {file.Id} has no request lines", "empty_file").Result();
        }

        // Created now; its lines are read and sent in the background (status validating), as OpenAI validates a batch after creating it.
        var row = new OpenAiBatch
        {
            Id = NewId.NextGuid(), InputFileId = file.Id, Endpoint = endpoint, CompletionWindow = "24h", MetadataJson = metadata, RequestTotal = file.LineCount,
            Submitter = owner, CreatedAt = clock.GetUtcNow(),
        };
        db.OpenAiBatches.Add(row);
        await db.SaveChangesAsync(ct);
        validator.Wake();
        return Results.Json(await BatchFiles.View(db, row, ct));
    }

    private static async Task<OpenAiBatch?> Find(PlatformDbContext db, string id, HttpContext http, CancellationToken ct) =>
        OpenAiIds.ParseBatch(id) is { } guid ? await BatchFiles.Owned(db, guid, FileEndpoints.Owner(http), ct) : null;

    private static IResult NotFound(string id) => new OpenAiError(StatusCodes.Status404NotFound, $"no such batch: {id}", "batch_id", "batch_not_found").Result();
}
