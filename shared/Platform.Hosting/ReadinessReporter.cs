using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Hosting;

/// <summary>Logs one line when every "ready" health check (bus, database) passes, and keeps logging while they do not.</summary>
internal sealed class ReadinessReporter(
    HealthCheckService health,
    ServiceIdentity identity,
    IOptions<MessagingOptions> messaging,
    IHostApplicationLifetime lifetime,
    ILogger<ReadinessReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        var waited = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            var report = await health.CheckHealthAsync(r => r.Tags.Contains("ready"), stoppingToken);
            if (report.Status == HealthStatus.Healthy)
            {
                var m = messaging.Value;
                var where = m.Transport == MessagingTransport.RabbitMq ? m.RabbitMq.Describe() : "in-process";
                logger.LogInformation("{Service} ready: transport {Transport} ({Where}); checks {Checks}",
                    identity.Name, m.Transport, where, string.Join(", ", report.Entries.Keys));
                return;
            }

            if (waited.TotalSeconds % 10 < step.TotalSeconds)
            {
                var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
                    .Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description ?? e.Value.Exception?.Message}");
                logger.LogWarning("{Service} not ready yet: {Failing}", identity.Name, string.Join("; ", failing));
            }

            await Task.Delay(step, stoppingToken);
            waited += step;
        }
    }
}
