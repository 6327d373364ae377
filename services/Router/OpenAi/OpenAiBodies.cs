using System.Text.Json;
using Platform.Contracts;
using Platform.Router.Planning;

namespace Platform.Router.OpenAi;

/// <summary>The OpenAI-compatible endpoints' reading and validation, shared by the synchronous endpoints and batch file lines.</summary>
public static class OpenAiBodies
{
    public static async Task<(CompletionRequest? Request, OpenAiError? Error)> Read(HttpContext http, CompletionKind kind, long maxBodyBytes)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = 32 }, http.RequestAborted);
        }
        catch (JsonException e)
        {
            return (null, OpenAiError.Invalid("body", $"the body is not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new OpenAiError(e.StatusCode, $"the request body is too large: the limit is {maxBodyBytes} bytes (Router:MaxRequestBodyBytes)", null, "request_too_large"));
        }

        using (document)
        {
            return CompletionRequests.Read(document.RootElement, kind);
        }
    }

    /// <summary>
    /// The Router's own rules for a request's problem and settings (the batch API's, in one place: the planner),
    /// as OpenAI errors naming the request's parameter; null when the request can run.
    /// </summary>
    public static OpenAiError? Refusal(BatchPlanner planner, SubmitBatch submit, CompletionRequest request) =>
        ProblemRefusal(planner, request) ?? SettingsRefusal(planner, submit, request.Kind);

    /// <summary>Why the request's own problem (its messages or prompt) cannot run; null when it can.</summary>
    public static OpenAiError? ProblemRefusal(BatchPlanner planner, CompletionRequest request, bool? chatTemplate = null)
    {
        var generator = request.Settings.GeneratorModel ?? "";
        if (planner.ProblemError(request.Problem, generator, chatTemplate ?? planner.ChatTemplate(generator)) is not { } problem)
        {
            return null;
        }

        var colon = problem.IndexOf(": ", StringComparison.Ordinal);
        var param = CompletionRequests.Param(colon > 0 ? problem[..colon] : "Text", request.Kind);
        return OpenAiError.Invalid(param, colon > 0 ? $"{param}: {problem[(colon + 2)..]}" : problem);
    }

    /// <summary>Why the settings cannot run (checked with a problem that can); null when they can.</summary>
    public static OpenAiError? SettingsRefusal(BatchPlanner planner, SubmitBatch submit, CompletionKind kind)
    {
        if (planner.Validate(submit) is not { } rejection)
        {
            return null;
        }

        var param = CompletionRequests.Param(rejection.Field, kind);
        return param == "model" && rejection.Reason.StartsWith("unknown model", StringComparison.Ordinal)
            ? new OpenAiError(StatusCodes.Status404NotFound, $"{rejection.Reason} (GET /v1/models lists them)", "model", "model_not_found")
            : OpenAiError.Invalid(param, $"{param}: {rejection.Reason}");
    }
}

/// <summary>A finished completion as stream chunks: per choice the role, its text line by line, the finish reason; then the usage when asked for.</summary>
public static class CompletionChunks
{
    public static IEnumerable<Completion> Of(Completion done, bool includeUsage)
    {
        var chat = done.Object == "chat.completion";
        var chunk = done with { Object = chat ? "chat.completion.chunk" : "text_completion", Usage = null, TtcUsage = null };
        foreach (var choice in done.Choices)
        {
            if (chat)
            {
                yield return chunk with { Choices = [new CompletionChoice { Index = choice.Index, Delta = new AssistantDelta { Role = "assistant", Content = "" } }] };
            }

            foreach (var piece in Lines(chat ? choice.Message!.Content : choice.Text ?? ""))
            {
                yield return chunk with
                {
                    Choices = [chat ? new CompletionChoice { Index = choice.Index, Delta = new AssistantDelta { Content = piece } } : new CompletionChoice { Index = choice.Index, Text = piece }],
                };
            }

            yield return chunk with
            {
                Choices = [chat ? new CompletionChoice { Index = choice.Index, Delta = new AssistantDelta(), FinishReason = choice.FinishReason }
                    : new CompletionChoice { Index = choice.Index, Text = "", FinishReason = choice.FinishReason }],
            };
        }

        if (includeUsage)
        {
            yield return chunk with { Choices = [], Usage = done.Usage, TtcUsage = done.TtcUsage };
        }
    }

    /// <summary>The text in pieces that each end at a line break (the last may not).</summary>
    private static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            var next = end < 0 ? text.Length : end + 1;
            yield return text[start..next];
            start = next;
        }
    }
}
