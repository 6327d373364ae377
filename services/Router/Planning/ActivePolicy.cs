using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Reasoning.Policy;
using Platform.Storage;

using Platform.Operations.Policies;

namespace Platform.Router.Planning;

/// <summary>
/// The active stored policy version, re-read from the database in the background every
/// <see cref="RouterOptions.PolicyRefreshSeconds"/> (first when the Router starts), so every Router
/// follows the version that <c>ttc policy activate</c> (or a nightly fit) made active without a
/// restart, and planning a batch never waits on the database for it. Null while none is active; a
/// database that cannot be read keeps the last version seen.
/// </summary>
public sealed class ActivePolicy(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<RouterOptions> options, TimeProvider clock, ILogger<ActivePolicy> logger)
    : BackgroundService
{
    private sealed record Seen(ComputeOptimalPolicy? Policy);

    private volatile Seen? _seen;

    /// <summary>The version seen at the last refresh (no I/O).</summary>
    public ComputeOptimalPolicy? Current() => _seen?.Policy;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await Refresh(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.PolicyRefreshSeconds)), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await Refresh(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the Router is stopping
        }
    }

    /// <summary>Reads the active version now; on a database error the last version seen stays.</summary>
    public async Task Refresh(CancellationToken cancellationToken)
    {
        ComputeOptimalPolicy? policy;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            policy = await PolicyStore.Active(db, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "the active policy could not be read; keeping the last one seen");
            return;
        }

        if (_seen is null || _seen.Policy?.Version != policy?.Version)
        {
            logger.LogInformation("compute-optimal follows {Source}", policy is null ? "the policy file (no stored version is active)" : $"stored policy version {policy.Version}");
        }

        _seen = new Seen(policy);
    }
}
