using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Platform.Router.Api;

/// <summary>
/// The HTTP API's door: API keys (401 / 403), a per-key rate limit (429), a body size limit (413) and
/// RFC 7807 problem details for every error status; the OpenAPI document describes it.
/// </summary>
public static class ApiSecurity
{
    public const string RatePolicy = "per-key";

    public static WebApplicationBuilder AddApiSecurity(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RouterOptions.Section).Get<RouterOptions>() ?? new RouterOptions();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.AddProblemDetails();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.ActivePolicy, p => p.RequireAuthenticatedUser().RequireClaim(ApiKeyAuthenticationHandler.RevokedClaim, "false"));
        builder.Services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.AddPolicy(RatePolicy, context =>
            {
                var perMinute = context.RequestServices.GetRequiredService<IOptions<RouterOptions>>().Value.RequestsPerMinutePerKey;
                return RateLimitPartition.GetTokenBucketLimiter(context.User.Identity?.Name ?? "anonymous", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute, TokensPerPeriod = perMinute, ReplenishmentPeriod = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
                });
            });
        });
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());
        return builder;
    }

    /// <summary>A group of endpoints behind the door: the per-key rate limit, and an active key where <see cref="RouterOptions.RequireApiKey"/>.</summary>
    public static RouteGroupBuilder Door(this WebApplication web, string prefix, out bool requireKey)
    {
        requireKey = web.Services.GetRequiredService<IOptions<RouterOptions>>().Value.RequireApiKey;
        var group = web.MapGroup(prefix).RequireRateLimiting(RatePolicy);
        if (requireKey)
        {
            group.RequireAuthorization(ApiKeyAuthenticationHandler.ActivePolicy);
        }

        return group;
    }

    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        // 401, 403, 404, 413, 429 ... get problem-details bodies; under /v1/ OpenAI's error body.
        app.UseStatusCodePages(async pages =>
        {
            var http = pages.HttpContext;
            if (OpenAi.OpenAiErrors.Owns(http.Request.Path))
            {
                await OpenAi.OpenAiErrors.Write(http, http.Response.StatusCode, http.RequestServices.GetRequiredService<IOptions<RouterOptions>>().Value.MaxRequestBodyBytes);
                return;
            }

            await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http, ProblemDetails = { Status = http.Response.StatusCode },
            });
        });
        app.UseExceptionHandler(e => e.Run(async context =>
        {
            var error = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
            var status = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            context.Response.StatusCode = status;
            if (OpenAi.OpenAiErrors.Owns(context.Request.Path))
            {
                await OpenAi.OpenAiErrors.Write(context, status, context.RequestServices.GetRequiredService<IOptions<RouterOptions>>().Value.MaxRequestBodyBytes);
                return;
            }

            await Results.Problem(statusCode: status, title: status == 413 ? "the request body is too large" : "the request failed",
                detail: status == 413 ? $"the limit is {context.RequestServices.GetRequiredService<IOptions<RouterOptions>>().Value.MaxRequestBodyBytes} bytes (Router:MaxRequestBodyBytes)" : null)
                .ExecuteAsync(context);
        }));
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>The document names the bearer scheme the API asks for.</summary>
    private sealed class BearerSecurityTransformer : Microsoft.AspNetCore.OpenApi.IOpenApiDocumentTransformer
    {
        public Task TransformAsync(Microsoft.OpenApi.OpenApiDocument document, Microsoft.AspNetCore.OpenApi.OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
        {
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http, Scheme = "bearer", Description = "an API key from `ttc keys create NAME`",
            };
            return Task.CompletedTask;
        }
    }
}
