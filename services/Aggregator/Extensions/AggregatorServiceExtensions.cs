using Platform.Aggregator.Runs;
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
        return builder;
    }

    /// <summary>Everything but the bus, so the embedded host can combine services on one bus.</summary>
    public static IHostApplicationBuilder AddAggregatorComponents(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformStorage();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RunDriver>();
        builder.Services.AddScoped<BatchCompletion>();
        return builder;
    }
}
