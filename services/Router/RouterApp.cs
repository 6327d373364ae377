using OpenTelemetry.Exporter;
using Platform.Hosting;
using Platform.Router.Api;
using Platform.Router.Extensions;
using Platform.Router.OpenAi;

namespace Platform.Router;

/// <summary>The Router as a web application: its services, health endpoints and the batch API (Program.cs and tests build the same).</summary>
public static class RouterApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        builder.AddRouterServices();
        builder.AddApiSecurity();
        var app = builder.Build();
        app.UseApiSecurity();
        app.MapPlatformHealth();
        var metrics = app.MapPrometheusScrapingEndpoint();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RouterOptions>>().Value.RequireApiKey)
        {
            metrics.RequireAuthorization(ApiKeyAuthenticationHandler.ActivePolicy); // every endpoint but health needs a key
        }

        app.MapBatchEndpoints();
        app.MapOpenAiEndpoints();
        return app;
    }
}
