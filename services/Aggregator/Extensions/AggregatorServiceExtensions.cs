using Microsoft.Extensions.Options;
using Platform.Aggregator.Runs;
using Quartz;
using Platform.Hosting;
using Platform.Storage;

namespace Platform.Aggregator.Extensions;

public static class AggregatorServiceExtensions
{
    /// <summary>The Aggregator: drives each run's rounds, selects and grades answers, stores results and compute.</summary>
    public static IHostApplicationBuilder AddAggregatorServices(this IHostApplicationBuilder builder)
    {
        builder.AddAggregatorComponents();
        builder.AddPlatformMessaging("aggregator", [typeof(AggregatorServiceExtensions).Assembly]);
        builder.AddPlatformTelemetry("aggregator");
        return builder;
    }

    /// <summary>Everything but the bus, so the embedded host can combine services on one bus.</summary>
    public static IHostApplicationBuilder AddAggregatorComponents(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformStorage();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RunOutcomes>();
        builder.Services.AddSingleton<RunPlans>();
        builder.Services.AddScoped<RunStarter>();
        builder.Services.AddScoped<ReplyApplier>();
        builder.Services.AddOptions<AggregatorOptions>().BindConfiguration(AggregatorOptions.Section)
            .Validate(o => o.StallSeconds >= 1, "Aggregator:StallSeconds must be >= 1")
            .Validate(o => o.WatchdogIntervalSeconds >= 1, "Aggregator:WatchdogIntervalSeconds must be >= 1")
            .Validate(o => o.RunTimeoutSeconds > o.StallSeconds, "Aggregator:RunTimeoutSeconds must exceed Aggregator:StallSeconds")
            .Validate(o => o.ReplyBatchSize is >= 1 and <= 256, "Aggregator:ReplyBatchSize must be within 1..256")
            .Validate(o => o.ReplyBatchMilliseconds is >= 1 and <= 1000, "Aggregator:ReplyBatchMilliseconds must be within 1..1000")
            .ValidateOnStart();
        var interval = builder.Configuration.GetValue($"{AggregatorOptions.Section}:{nameof(AggregatorOptions.WatchdogIntervalSeconds)}", 30);
        builder.Services.AddQuartz(q =>
        {
            var key = new JobKey("stalled-run-watchdog");
            q.AddJob<StalledRunWatchdog>(j => j.WithIdentity(key));
            q.AddTrigger(t => t.ForJob(key).StartAt(DateTimeOffset.UtcNow.AddSeconds(interval))
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(Math.Max(1, interval))).RepeatForever()));
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder;
    }
}
