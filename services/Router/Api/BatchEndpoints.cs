using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Planning;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Queries;

namespace Platform.Router.Api;

/// <summary>
/// The batch API: submit (<c>POST /batches</c>), progress (<c>GET /batches/{id}</c>), per-problem results
/// (<c>GET /batches/{id}/results</c>, paged or streamed as JSON lines), listing (<c>GET /batches</c>) and
/// cancellation (<c>DELETE /batches/{id}</c>). Every 400 is an RFC 7807 problem naming the fields.
/// </summary>
public static class BatchEndpoints
{
    public const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapBatchEndpoints(this WebApplication web)
    {
        var app = web.Door("", out var requireKey).WithTags("batches").ProducesProblem(StatusCodes.Status429TooManyRequests);
        if (requireKey)
        {
            app.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        }

        var openApi = web.MapOpenApi();
        if (requireKey)
        {
            openApi.RequireAuthorization(ApiKeyAuthenticationHandler.ActivePolicy);
        }

        app.MapPost("/batches", async (HttpRequest request, System.Security.Claims.ClaimsPrincipal user, BatchPlanner planner, Microsoft.Extensions.Options.IOptions<RouterOptions> routerOptions, ISendEndpointProvider send, CancellationToken ct) =>
        {
            var options = routerOptions.Value;
            using var buffer = new MemoryStream();
            try
            {
                await request.Body.CopyToAsync(buffer, ct);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Results.Problem(statusCode: e.StatusCode, title: "the request body is too large",
                    detail: $"the limit is {options.MaxRequestBodyBytes} bytes (Router:MaxRequestBodyBytes)");
            }

            var (body, errors) = BatchBody.Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            if (body is null)
            {
                return Invalid(errors);
            }

            var submit = (body.BatchId == Guid.Empty ? body with { BatchId = NewId.NextGuid() } : body) with
            {
                Source = body.Source ?? "http", SubmittedAt = body.SubmittedAt ?? DateTimeOffset.UtcNow,
                Submitter = user.Identity?.Name ?? Platform.Reasoning.Scheduling.SubmitterNames.Anonymous, // the key's name: the fair share and the priority limit are the key's
            };
            if (planner.Validate(submit) is { } rejection)
            {
                return Invalid([new BodyError(Camel(rejection.Field), rejection.Reason)]);
            }

            // A bad problem (an unstorable or over-long text, a bad conversation) fails alone, as on the bus; the client is told which at once.
            var failing = planner.ProblemFailures(submit).Select(f => new FailingProblem(f.Index, $"problems[{f.Index}].{Camel(f.Field)}", f.Reason)).ToList();
            await BatchParts.Send(send, submit, ct);

            return Results.Accepted($"/batches/{submit.BatchId}", new Submitted(submit.BatchId, submit.Problems.Count, failing));
        })
        .WithName("SubmitBatch").WithSummary("Submit a batch of problems")
        .Accepts<SubmitBatch>("application/json")
        .Produces<Submitted>(StatusCodes.Status202Accepted)
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        app.MapGet("/batches/{id:guid}", async (Guid id, PlatformDbContext db, CancellationToken ct) =>
        {
            var batch = await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
            if (batch is null)
            {
                return Results.NotFound();
            }

            var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == id).GroupBy(r => r.Status)
                .Select(g => new { Status = g.Key, Count = g.Count(), Correct = g.Count(r => r.Correct == true) }).ToListAsync(ct);
            var waiting = await db.Runs.Where(Platform.Storage.Entities.RunQueue.Waiting).CountAsync(r => r.BatchId == id, ct);
            return Results.Ok(new BatchProgress(batch.Id, batch.Name, batch.Status, batch.ProblemCount, batch.RunsEnded, batch.RejectionReason,
                batch.SubmittedAt, batch.CompletedAt, runs.ToDictionary(r => r.Status, r => r.Count), runs.Sum(r => r.Correct), batch.Submitter, batch.Priority, waiting));
        })
        .WithName("GetBatch").WithSummary("A batch's status and counts").Produces<BatchProgress>().ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/batches/{id:guid}/results", async (Guid id, HttpContext http, PlatformDbContext db, int? cursor, int? limit, string? format, CancellationToken ct) =>
        {
            if (!await db.Batches.AnyAsync(b => b.Id == id, ct))
            {
                return Results.NotFound();
            }

            if (format is not (null or "json" or "jsonl"))
            {
                return Invalid([new BodyError("format", $"format must be json or jsonl (was '{format}')")]);
            }

            if (format == "jsonl")
            {
                // Every result, streamed in problem order; memory stays flat whatever the batch size.
                http.Response.ContentType = "application/x-ndjson";
                var after = cursor ?? -1;
                var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 1 << 16);
                await using (writer)
                {
                    while (true)
                    {
                        var count = 0;
                        await foreach (var row in BatchQueries.Results(db, id, after, 5000, ct))
                        {
                            await writer.WriteLineAsync(JsonSerializer.Serialize(row, BatchQueries.Json));
                            after = row.ProblemIndex;
                            count++;
                        }

                        await writer.FlushAsync(ct);
                        if (count < 5000)
                        {
                            break;
                        }
                    }
                }

                return Results.Empty;
            }

            var size = Math.Clamp(limit ?? 100, 1, MaxPageSize);
            var items = new List<ProblemResult>(size);
            await foreach (var row in BatchQueries.Results(db, id, cursor ?? -1, size, ct))
            {
                items.Add(row);
            }

            return Results.Json(new ResultsPage(items, items.Count == size ? items[^1].ProblemIndex.ToString(CultureInfo.InvariantCulture) : null), BatchQueries.Json);
        })
        .WithName("GetResults").WithSummary("Per-problem results: a page (cursor), or every result as JSON lines (format=jsonl)")
        .Produces<ResultsPage>().Produces<ProblemResult>(StatusCodes.Status200OK, "application/x-ndjson")
        .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/batches", async (PlatformDbContext db, string? status, DateTimeOffset? since, int? limit, string? cursor, CancellationToken ct) =>
        {
            (DateTimeOffset, Guid)? before = null;
            if (cursor is not null)
            {
                var parts = cursor.Split('_');
                if (parts.Length != 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var ticks) || !Guid.TryParse(parts[1], out var last))
                {
                    return Invalid([new BodyError("cursor", "not a cursor this API returned")]);
                }

                before = (new DateTimeOffset(ticks, TimeSpan.Zero), last);
            }

            var size = Math.Clamp(limit ?? 50, 1, MaxPageSize);
            var items = await BatchQueries.List(db, status, since, size, before, ct);
            var next = items.Count == size ? $"{items[^1].SubmittedAt.UtcTicks}_{items[^1].Id}" : null;
            return Results.Json(new BatchPage(items, next), BatchQueries.Json);
        })
        .WithName("ListBatches").WithSummary("Batches, newest first").Produces<BatchPage>().ProducesValidationProblem();

        app.MapDelete("/batches/{id:guid}", async (Guid id, PlatformDbContext db, TimeProvider clock, CancellationToken ct) =>
            await BatchQueries.Cancel(db, id, clock.GetUtcNow(), ct) switch
            {
                CancelOutcome.NotFound => Results.NotFound(),
                CancelOutcome.AlreadyEnded => Results.Problem(statusCode: 409, title: "the batch has already ended", detail: $"batch {id} completed or was rejected before the cancellation"),
                _ => Results.Ok(new Cancelled(id, "cancelled")),
            })
            .WithName("CancelBatch").WithSummary("Cancel a batch").Produces<Cancelled>()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return web;
    }

    /// <param name="Failing">The problems that fail alone (their runs store the same reason); the rest of the batch runs.</param>
    public sealed record Submitted(Guid BatchId, int Problems, IReadOnlyList<FailingProblem> Failing);

    /// <summary>A problem of an accepted batch that cannot run: its index, the field (a JSON path) and why.</summary>
    public sealed record FailingProblem(int Index, string Field, string Reason);

    public sealed record Cancelled(Guid BatchId, string Status);

    public sealed record BatchProgress(Guid Id, string? Name, string Status, int ProblemCount, int RunsEnded, string? RejectionReason,
        DateTimeOffset SubmittedAt, DateTimeOffset? CompletedAt, Dictionary<string, int> Runs, int Correct, string Submitter, string Priority,
        [property: System.ComponentModel.Description("Planned runs waiting their turn to be let out to the workers")] int Waiting);

    public sealed record ResultsPage(
        [property: JsonPropertyName("items")] IReadOnlyList<ProblemResult> Items,
        [property: JsonPropertyName("next_cursor")] string? NextCursor);

    public sealed record BatchPage(
        [property: JsonPropertyName("items")] IReadOnlyList<BatchSummary> Items,
        [property: JsonPropertyName("next_cursor")] string? NextCursor);

    private static IResult Invalid(IEnumerable<BodyError> errors) =>
        Results.ValidationProblem(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: "the request is invalid");

    private static string Camel(string field) => field.Length == 0 ? field : char.ToLowerInvariant(field[0]) + field[1..];
}
