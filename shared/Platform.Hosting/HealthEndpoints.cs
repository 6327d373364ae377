using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Exporter;

namespace Platform.Hosting;

public static class HealthEndpoints
{
    /// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: bus and database are connected.</summary>
    public static IEndpointRouteBuilder MapPlatformHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains("ready") });
        return app;
    }

    /// <summary>Health, and the Prometheus scrape endpoint <c>/metrics</c> (when telemetry is registered).</summary>
    public static IEndpointConventionBuilder? MapPlatformEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPlatformHealth();
        return app.ServiceProvider.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)) is null ? null : app.MapPrometheusScrapingEndpoint();
    }
}
