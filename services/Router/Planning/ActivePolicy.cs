using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Reasoning.Policy;
using Platform.Storage;

namespace Platform.Router.Planning;

/// <summary>
/// The active stored policy version, read from the database at most every
/// <see cref="RouterOptions.PolicyRefreshSeconds"/>, so every Router follows the version that
/// <c>ttc policy activate</c> (or a nightly fit) made active without a restart. Null while none is
/// active; a database that cannot be read keeps the last version seen.
/// </summary>
public sealed class ActivePolicy(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<RouterOptions> options, TimeProvider clock, ILogger<ActivePolicy> logger)
{
    private readonly Lock _gate = new();
    private (ComputeOptimalPolicy? Policy, DateTimeOffset ReadAt)? _cached;

    public ComputeOptimalPolicy? Current()
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_cached is { } c && now - c.ReadAt < TimeSpan.FromSeconds(options.Value.PolicyRefreshSeconds))
            {
                return c.Policy;
            }
        }

        ComputeOptimalPolicy? policy;
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            policy = PolicyStore.Active(db, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "the active policy could not be read; keeping the last one seen");
            lock (_gate)
            {
                _cached = (_cached?.Policy, now); // try again after the refresh interval, not on every batch
                return _cached.Value.Policy;
            }
        }

        lock (_gate)
        {
            if (_cached?.Policy?.Version != policy?.Version)
            {
                logger.LogInformation("compute-optimal follows {Source}", policy is null ? "the policy file (no stored version is active)" : $"stored policy version {policy.Version}");
            }

            _cached = (policy, now);
        }

        return policy;
    }
}
