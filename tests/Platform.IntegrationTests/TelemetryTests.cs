using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Platform.IntegrationTests;

/// <summary>OpenTelemetry across the four services: one run is one connected trace through all of them, and every service exposes its metrics.</summary>
[Collection(ServersCollection.Name)]
public sealed class TelemetryTests(Servers servers)
{
    [Fact]
    public async Task One_run_yields_one_connected_trace_through_router_aggregator_generator_and_verifier()
    {
        var spans = new ConcurrentBag<(string Service, Activity Span)>();
        var exported = new ConcurrentDictionary<string, List<Activity>>();
        await using var hosts = await PlatformHosts.Start(servers, configure: (service, builder) =>
        {
            var list = exported.GetOrAdd(service, _ => []);
            builder.Configuration["Telemetry:Tracing"] = "true"; // no OTLP endpoint here: turn spans on
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(list));
        });

        var response = await hosts.Http.PostAsJsonAsync("/batches", new
        {
            strategy = "weighted-best-of-n", n = 4, problems = new[] { new { text = "(37+48)*3-19", referenceAnswer = "236" } },
        });
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
        await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == id, TimeSpan.FromMinutes(2));
        await Task.Delay(1000); // the last spans end after the completion is published

        foreach (var (service, list) in exported)
        {
            foreach (var span in Snapshot(list))
            {
                spans.Add((service, span));
            }
        }

        // The run's spans: those tagged with its id, and everything in their trace.
        // Tracer providers listen process-wide, so spans of tests running beside this one are exported too: keep this run's.
        Guid runId;
        await using (var db = hosts.NewContext())
        {
            runId = await db.Runs.Where(r => r.BatchId == id).Select(r => r.Id).SingleAsync();
        }

        var runSpans = spans.Where(s => s.Span.GetTagItem("ttc.run.id") is string tag && tag == runId.ToString()).ToList();
        Assert.NotEmpty(runSpans);
        var traces = runSpans.Select(s => s.Span.TraceId).Distinct().ToList();
        Assert.True(traces.Count == 1, "run spans in several traces: " + string.Join("; ", runSpans.GroupBy(s => s.Span.TraceId)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(s => $"{s.Service}/{s.Span.DisplayName}").Distinct())}")));
        var trace = spans.Where(s => s.Span.TraceId == traces[0]).ToList();

        // The hosts share this process, so every tracer provider sees every span: count each span once.
        var unique = trace.GroupBy(s => s.Span.SpanId).Select(g => g.First().Span).ToList();

        // Through all four services (each consumes its own queue), with HTTP and PostgreSQL spans among them. The
        // weighted best-of-N samples go from the Generator to the Verifier and on to the Aggregator (scored in passing).
        foreach (var queue in new[] { "submit-batch", "run-planned", "generate-candidates", "score-candidates", "candidates-scored" })
        {
            Assert.Contains(unique, s => s.Kind == ActivityKind.Consumer && s.DisplayName.Contains(queue, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(unique, s => s.Kind == ActivityKind.Consumer && s.DisplayName.Contains("candidates-generated", StringComparison.Ordinal));
        Assert.Contains(unique, s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST", StringComparison.Ordinal));
        Assert.Contains(unique, s => s.GetTagItem("db.system") is "postgresql" || s.GetTagItem("db.system.name") is "postgresql");

        // Connected: every span but the root has its parent in the trace.
        var ids = unique.Select(s => s.SpanId).ToHashSet();
        var roots = unique.Where(s => s.ParentSpanId == default || !ids.Contains(s.ParentSpanId)).ToList();
        Assert.True(roots.Count == 1, $"roots: {string.Join(", ", roots.Select(r => r.DisplayName))}");

        // Metrics: the Router's scrape endpoint (with a key) carries the platform's instruments.
        var metrics = await hosts.Http.GetStringAsync("/metrics");
        Assert.Contains("ttc_queue_wait", metrics);
        Assert.Contains("ttc_runs_ended", metrics);
        Assert.Contains("ttc_generation_batch_rows", metrics);
    }

    /// <summary>
    /// The spans exported so far. The in-memory exporter appends without a lock, and the tracer
    /// providers listen process-wide, so tests running beside this one may be adding spans now: copy
    /// without an enumerator (which would throw) and drop a slot caught between its count and its item.
    /// </summary>
    private static List<Activity> Snapshot(List<Activity> list)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return [.. list.ToArray().Where(a => a is not null)];
            }
            catch (ArgumentException) when (attempt < 10)
            {
                // the list grew while it was copied: copy again
            }
        }
    }
}
