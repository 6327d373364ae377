using System.Security.Claims;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Scheduling;
using Platform.Router.Admission;
using Platform.Router.Api;
using Platform.Router.Planning;
using Platform.Storage;
using Platform.Storage.Entities;
using Platform.Storage.Queries;

namespace Platform.Router.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c>, <c>POST /v1/completions</c> and <c>GET /v1/models</c>: a request is a
/// batch of one (named by its request id) that the caller waits for; the answer is a standard completion
/// (streamed as server-sent events once selection is done, with <c>stream</c>).
/// </summary>
public static class CompletionEndpoints
{
    public static RouteGroupBuilder MapCompletionEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", (HttpContext http, CompletionService service) => service.Complete(http, CompletionKind.Chat))
            .WithName("CreateChatCompletion").WithSummary("A chat completion, with test-time compute chosen by ttc or a model named GENERATOR:STRATEGY@N")
            .Accepts<JsonElement>("application/json").Produces<Completion>().Produces<ErrorBody>(400).Produces<ErrorBody>(404).Produces<ErrorBody>(500).Produces<ErrorBody>(504);
        v1.MapPost("/completions", (HttpContext http, CompletionService service) => service.Complete(http, CompletionKind.Text))
            .WithName("CreateCompletion").WithSummary("A text completion of a raw prompt (no chat template), with the same test-time compute fields")
            .Accepts<JsonElement>("application/json").Produces<Completion>().Produces<ErrorBody>(400).Produces<ErrorBody>(404).Produces<ErrorBody>(500).Produces<ErrorBody>(504);
        v1.MapGet("/models", (Platform.Inference.Models.ModelCatalog catalog) => Results.Json(new ListOf<ModelEntry>
        {
            Data = [.. catalog.Names().Select(catalog.Describe).OfType<Platform.Inference.Models.CatalogEntry>().Select(e => new ModelEntry
            {
                Id = e.Name, Kind = e.Kind, Architecture = e.Architecture, Context = e.Context, Parameters = e.Parameters, ChatTemplate = e.ChatTemplate, Supports = e.Supports,
            })],
        })).WithName("ListModels").WithSummary("The catalog's generators and verifiers, with what each supports").Produces<ListOf<ModelEntry>>();
        return v1;
    }
}

/// <summary>One synchronous completion: read, validate as the batch API does, submit, wait, answer.</summary>
public sealed class CompletionService(BatchPlanner planner, IOptions<RouterOptions> routerOptions, IOptions<AdmissionOptions> admission, ISendEndpointProvider send,
    PlatformDbContext db, TimeProvider clock, ILogger<CompletionService> logger)
{
    private static readonly JsonSerializerOptions Sse = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<IResult> Complete(HttpContext http, CompletionKind kind)
    {
        var ct = http.RequestAborted;
        var (request, error) = await OpenAiBodies.Read(http, kind, routerOptions.Value.MaxRequestBodyBytes);
        if (request is null)
        {
            return error!.Result();
        }

        var submitter = http.User.Identity?.Name ?? SubmitterNames.Anonymous;
        var id = NewId.NextGuid();
        var submit = request.Settings with
        {
            BatchId = id, Name = CompletionBodies.Id(id, kind), Source = "openai" + (kind == CompletionKind.Chat ? CompletionRequests.ChatPath : CompletionRequests.TextPath),
            Problems = [request.Problem], Submitter = submitter, SubmittedAt = clock.GetUtcNow(),
            // A caller waiting on a connection is interactive work, where the key may submit it.
            Priority = request.Settings.Priority ?? (admission.Value.PriorityProblem(submitter, PriorityClasses.Interactive) is null ? PriorityClasses.Interactive : null),
        };
        if (OpenAiBodies.Refusal(planner, submit, request) is { } refused)
        {
            return refused.Result();
        }

        await BatchParts.Send(send, submit, ct);
        if (request.Stream)
        {
            await Stream(http, request, id, submit.Name);
            return Results.Empty;
        }

        var (run, failure) = await Wait(id, ct);
        return run is not null ? Results.Json(CompletionBodies.Body(run, kind, request.Model, request.AllSamples, submit.Name)) : failure!.Result();
    }

    /// <summary>Server-sent events: comments while the run works, then the answer's chunks and <c>[DONE]</c>.</summary>
    private async Task Stream(HttpContext http, CompletionRequest request, Guid id, string name)
    {
        var ct = http.RequestAborted;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.WriteAsync(": accepted\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        using var keepAlive = new CancellationTokenSource();
        var beats = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
            while (await timer.WaitForNextTickAsync(keepAlive.Token).ConfigureAwait(false))
            {
                await http.Response.WriteAsync(": working\n\n", keepAlive.Token);
                await http.Response.Body.FlushAsync(keepAlive.Token);
            }
        }, keepAlive.Token);
        RunView? run;
        OpenAiError? failure;
        try
        {
            (run, failure) = await Wait(id, ct);
        }
        finally
        {
            await keepAlive.CancelAsync();
            await beats.ContinueWith(_ => { }, TaskScheduler.Default); // stopped (cancelled) before the chunks are written
        }

        async Task Send(object data)
        {
            await http.Response.WriteAsync($"data: {JsonSerializer.Serialize(data, Sse)}\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
        }

        if (run is null)
        {
            await Send(failure!.Body);
        }
        else
        {
            foreach (var chunk in CompletionChunks.Of(CompletionBodies.Body(run, request.Kind, request.Model, request.AllSamples, name), request.IncludeUsage))
            {
                await Send(chunk);
            }
        }

        await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    /// <summary>
    /// Waits for the batch of one to end (polling PostgreSQL, so any Router instance can answer): the finished
    /// run, or the error to answer with. A caller that leaves, or a wait past Router:OpenAiWaitSeconds, cancels the batch.
    /// </summary>
    private async Task<(RunView? Run, OpenAiError? Error)> Wait(Guid id, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow().AddSeconds(routerOptions.Value.OpenAiWaitSeconds);
        var delay = TimeSpan.FromMilliseconds(20);
        try
        {
            while (true)
            {
                var status = await db.Runs.AsNoTracking().Where(r => r.BatchId == id).Select(r => r.Status).FirstOrDefaultAsync(ct);
                if (status is not null && RunStatus.IsEnded(status))
                {
                    var run = (await CompletionBodies.Load(db, id, -1, 1, true, ct))[0];
                    return run.Status == RunStatus.Completed ? (run, null) : (null, CompletionBodies.Failure(run));
                }

                if (status is null && await db.Batches.AsNoTracking().Where(b => b.Id == id && b.Status == BatchStatus.Rejected).Select(b => b.RejectionReason).FirstOrDefaultAsync(ct) is { } rejection)
                {
                    return (null, new OpenAiError(StatusCodes.Status400BadRequest, $"the request was refused: {rejection}"));
                }

                if (clock.GetUtcNow() > deadline)
                {
                    await Cancel(id);
                    return (null, new OpenAiError(StatusCodes.Status504GatewayTimeout, $"the request did not finish within {routerOptions.Value.OpenAiWaitSeconds} s (Router:OpenAiWaitSeconds); its run was cancelled", null, "timeout"));
                }

                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 1.5));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Cancel(id); // the caller left: its compute is no longer wanted
            throw;
        }
    }

    private async Task Cancel(Guid id)
    {
        try
        {
            await BatchQueries.Cancel(db, id, clock.GetUtcNow(), CancellationToken.None);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or Npgsql.NpgsqlException)
        {
            logger.LogWarning(e, "could not cancel the batch {BatchId} of a request that ended early", id);
        }
    }
}
