using Platform.Hosting;
using Platform.Router.Api;
using Platform.Router.Extensions;

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
        app.MapBatchEndpoints();
        return app;
    }
}
