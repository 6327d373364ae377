using System.Diagnostics;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Platform.Hosting;

/// <summary>
/// Traces and metrics with OpenTelemetry. Spans: HTTP (ASP.NET Core), every message sent, published
/// and consumed (MassTransit's activity source carries the trace context in message headers), every
/// PostgreSQL command (Npgsql); a batch is one trace through the four services, and each consume span
/// carries its run's id (<c>ttc.run.id</c>). Metrics: runs ended
/// by status, queue wait, tokens, generation and scoring batch sizes, device seconds — scraped at
/// <c>/metrics</c> on every service, and exported over OTLP when the standard <c>OTEL_EXPORTER_OTLP_*</c>
/// variables name an endpoint (nothing is sent anywhere otherwise).
/// </summary>
public static class PlatformTelemetry
{
    public const string Name = "Platform";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> RunsEnded = Meter.CreateCounter<long>("ttc.runs.ended", "{run}", "Runs that ended, by status");
    public static readonly Counter<long> RunsAdmitted = Meter.CreateCounter<long>("ttc.runs.admitted", "{run}", "Planned runs the Router's admission scheduler let out to the workers");
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("ttc.queue.wait", "ms", "Time a message waited between being sent and being consumed");
    public static readonly Histogram<long> ReplyBatch = Meter.CreateHistogram<long>("ttc.aggregator.reply.batch", "{reply}", "Replies the Aggregator took in one transaction");
    public static readonly Counter<long> GeneratedTokens = Meter.CreateCounter<long>("ttc.tokens.generated", "{token}", "Tokens generated (rate: tokens per second)");
    public static readonly Counter<long> ScoredTokens = Meter.CreateCounter<long>("ttc.tokens.scored", "{token}", "Tokens scored by verifiers");
    public static readonly Counter<double> DeviceSeconds = Meter.CreateCounter<double>("ttc.device.seconds", "s", "Device time of inference, by service and model");

    /// <summary>
    /// A worker's reply to one request, counted the same way by the Generator and the Verifier: its tokens (generated or
    /// scored, by model), its device time (by service and model), and a warning when the request was refused.
    /// </summary>
    public static void Served(Microsoft.Extensions.Logging.ILogger logger, string service, Counter<long> tokens, long count, Contracts.ComputeUsage usage,
        Guid requestId, Guid runId, string? error)
    {
        var model = new KeyValuePair<string, object?>("model", usage.Model);
        tokens.Add(count, model);
        DeviceSeconds.Add(usage.DeviceMilliseconds / 1000, model, new KeyValuePair<string, object?>("service", service));
        if (error is not null)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "request {RequestId} of run {RunId} refused: {Error}", requestId, runId, error);
        }
    }

    /// <summary>Every run and batch id in logs (a logging scope) and on the current span (tags).</summary>
    public static IDisposable? Scope(Microsoft.Extensions.Logging.ILogger logger, Guid? batchId, Guid runId)
    {
        Activity.Current?.SetTag("ttc.run.id", runId.ToString());
        var state = new Dictionary<string, object> { ["RunId"] = runId };
        if (batchId is { } b)
        {
            Activity.Current?.SetTag("ttc.batch.id", b.ToString());
            state["BatchId"] = b;
        }

        return logger.BeginScope(state);
    }

    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder, string serviceName, Action<TracerProviderBuilder>? tracing = null)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? $"ttc-{serviceName}"));

        // Spans cost CPU on every message and every query, so they are recorded only when something
        // reads them: an OTLP endpoint is configured, or Telemetry:Tracing says so.
        if (builder.Configuration.GetValue<bool?>("Telemetry:Tracing") ?? otlp)
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource(Name, "Platform.Inference", "MassTransit")
                    .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/health") && !c.Request.Path.StartsWithSegments("/metrics"))
                    .AddNpgsql();
                tracing?.Invoke(t);
            });
        }

        telemetry.WithMetrics(m => m.AddMeter(Name, "Platform.Inference", "MassTransit")
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter());
        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }

        builder.Services.AddSingleton<IConsumeObserver, QueueWaitObserver>();
        return builder;
    }

    /// <summary>Records how long each consumed message waited on its queue.</summary>
    private sealed class QueueWaitObserver : IConsumeObserver
    {
        public Task PreConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.SentTime is { } sent)
            {
                QueueWait.Record(Math.Max(0, (DateTime.UtcNow - sent).TotalMilliseconds), new KeyValuePair<string, object?>("message", typeof(T).Name));
            }

            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
