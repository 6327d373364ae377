using Platform.Hosting;
using Platform.Storage;

namespace Platform.Aggregator.Extensions;

public static class AggregatorServiceExtensions
{
    /// <summary>The Aggregator: drives each run's rounds, selects and grades answers, stores results and compute.</summary>
    public static IHostApplicationBuilder AddAggregatorServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformStorage();
        builder.AddPlatformMessaging("aggregator", [typeof(AggregatorServiceExtensions).Assembly]);
        return builder;
    }
}
