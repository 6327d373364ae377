using Platform.Router.Api;

namespace Platform.Router.OpenAi;

/// <summary>The OpenAI-compatible API under <c>/v1</c>: behind the same door as the batch API (keys, rate limit, body limit), with OpenAI's error bodies.</summary>
public static class OpenAiApi
{
    public static WebApplication MapOpenAiEndpoints(this WebApplication web)
    {
        var v1 = web.Door(OpenAiErrors.Prefix, out var requireKey).WithTags("openai");
        int[] statuses = requireKey ? [429, 401, 403] : [429];
        foreach (var status in statuses)
        {
            v1.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ErrorBody), ["application/json"]));
        }

        v1.MapCompletionEndpoints();
        v1.MapFileEndpoints();
        v1.MapBatchApiEndpoints();
        return web;
    }
}
