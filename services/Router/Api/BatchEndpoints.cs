using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Router.Planning;
using Platform.Storage;

namespace Platform.Router.Api;

/// <summary>HTTP submission: POST /batches (202 with the batch id, or 400 naming the field) and GET /batches/{id}.</summary>
public static class BatchEndpoints
{
    public static IEndpointRouteBuilder MapBatchEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/batches", async (SubmitBatch body, BatchPlanner planner, ISendEndpointProvider send, CancellationToken ct) =>
        {
            var submit = body.BatchId == Guid.Empty ? body with { BatchId = NewId.NextGuid() } : body;
            var decision = planner.Plan(submit);
            if (decision.Rejection is { } rejection)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { [rejection.Field] = [rejection.Reason] });
            }

            var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.SubmitBatch));
            await endpoint.Send(submit, ct);
            return Results.Accepted($"/batches/{submit.BatchId}", new { batchId = submit.BatchId, problems = submit.Problems.Count });
        });

        app.MapGet("/batches/{id:guid}", async (Guid id, PlatformDbContext db, CancellationToken ct) =>
        {
            var batch = await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
            if (batch is null)
            {
                return Results.NotFound();
            }

            var runs = await db.Runs.AsNoTracking().Where(r => r.BatchId == id).GroupBy(r => r.Status)
                .Select(g => new { Status = g.Key, Count = g.Count(), Correct = g.Count(r => r.Correct == true) }).ToListAsync(ct);
            return Results.Ok(new
            {
                batch.Id, batch.Name, batch.Status, batch.ProblemCount, batch.RejectionReason, batch.SubmittedAt, batch.CompletedAt,
                Runs = runs.ToDictionary(r => r.Status, r => r.Count),
                Correct = runs.Sum(r => r.Correct),
            });
        });
        return app;
    }
}
