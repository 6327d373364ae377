using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Inference.Models;

namespace Platform.Inference.Runtime;

/// <summary>
/// Logs what the prefix caches (decision 0022) of this process have done since it started: once a minute
/// while they are used, and when the host stops. The same figures are metrics (<see cref="PrefixCache"/>).
/// </summary>
internal sealed class PrefixCacheReport(ModelCatalog catalog, ILogger<PrefixCacheReport> logger) : BackgroundService
{
    private long _reported = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Report();
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Report();
    }

    private void Report()
    {
        var (generators, verifiers) = catalog.PrefixCaches();
        if (generators.LookedUpTokens + verifiers.LookedUpTokens == _reported)
        {
            return;
        }

        _reported = generators.LookedUpTokens + verifiers.LookedUpTokens;
        foreach (var (kind, s) in new[] { ("generator", generators), ("verifier", verifiers) }.Where(k => k.Item2.LookedUpTokens > 0))
        {
            logger.LogInformation("prefix cache ({Kind}): {Hit} of {LookedUp} looked-up tokens hit ({Rate}), {Bytes} MB held of {Capacity} MB, {Evictions} evictions",
                kind, s.HitTokens, s.LookedUpTokens, s.HitRate.ToString("P1", CultureInfo.InvariantCulture), s.Bytes >> 20, s.CapacityBytes >> 20, s.Evictions);
        }

        // The trees' arrays live on the managed heap: beside the process's resident memory this tells them from native memory (ONNX Runtime's).
        var gc = GC.GetGCMemoryInfo();
        logger.LogInformation("managed heap: {Heap} MB after the last collection, {Committed} MB committed", gc.HeapSizeBytes >> 20, gc.TotalCommittedBytes >> 20);
    }
}
