using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Router.Planning;
using Platform.Storage;

namespace Platform.Router.Extensions;

public static class RouterServiceExtensions
{
    /// <summary>The Router: stores batches, plans each problem's run, hosts the submission API and the sweep scheduler.</summary>
    public static IHostApplicationBuilder AddRouterServices(this IHostApplicationBuilder builder)
    {
        builder.AddRouterComponents();
        builder.AddPlatformMessaging("router", [typeof(RouterServiceExtensions).Assembly]);
        builder.AddPlatformTelemetry("router");
        return builder;
    }

    /// <summary>Everything but the bus, so the embedded host can combine services on one bus.</summary>
    public static IHostApplicationBuilder AddRouterComponents(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformStorage();
        builder.Services.AddOptions<RouterOptions>().BindConfiguration(RouterOptions.Section)
            .Validate(o => o.MaxProblemTextBytes is >= 16 and <= 1 << 20, "Router:MaxProblemTextBytes must be within 16..1048576")
            .Validate(o => o.MaxProblemsPerBatch >= 1, "Router:MaxProblemsPerBatch must be >= 1")
            .Validate(o => o.MaxNewTokens is >= 1 and <= 32768, "Router:MaxNewTokens must be within 1..32768")
            .Validate(o => !string.IsNullOrWhiteSpace(o.DefaultGenerator) && !string.IsNullOrWhiteSpace(o.DefaultVerifier), "Router:DefaultGenerator and Router:DefaultVerifier are required")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ActivePolicy>();
        builder.Services.AddSingleton(sp => new BatchPlanner(sp.GetRequiredService<IOptions<RouterOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ActivePolicy>().Current));
        return builder;
    }
}
