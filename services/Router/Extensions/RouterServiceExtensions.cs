using Platform.Hosting;
using Platform.Storage;

namespace Platform.Router.Extensions;

public static class RouterServiceExtensions
{
    /// <summary>The Router: stores batches, plans each problem's run, hosts the submission API and the sweep scheduler.</summary>
    public static IHostApplicationBuilder AddRouterServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformStorage();
        builder.AddPlatformMessaging("router", [typeof(RouterServiceExtensions).Assembly]);
        return builder;
    }
}
