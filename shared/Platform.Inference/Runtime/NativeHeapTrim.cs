using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Inference.Runtime;

/// <summary>
/// Hands the C heap's free pages back to the system every <see cref="InferenceOptions.NativeHeapTrimSeconds"/>
/// while freed native memory is kept (decision 0026): between trims passes reuse it without page faults;
/// after a peak the process's resident memory falls back within a trim period.
/// </summary>
internal sealed class NativeHeapTrim(IOptions<InferenceOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.NativeHeapTrimSeconds;
        if (seconds == 0 || !options.Value.KeepFreedNativeMemory)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                NativeHeap.Trim();
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
