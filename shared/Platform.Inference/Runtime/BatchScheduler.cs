using System.Threading.Channels;

namespace Platform.Inference.Runtime;

/// <summary>
/// Merges requests that arrive close together (from concurrent consumers, runs and rounds) into one
/// batch per model: the first waiting request opens a short window, everything queued by then or
/// up to <c>maxItems</c> runs as one call on a single worker, and each caller gets its own results.
/// </summary>
public sealed class BatchScheduler<TRequest, TResult> : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<string, IReadOnlyList<TRequest>, CancellationToken, IReadOnlyList<TResult>> _run;
    private readonly Func<TRequest, int> _weight;
    private readonly TimeSpan _window;
    private readonly int _maxWeight;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    /// <param name="run">Runs one batch for one model (on the scheduler's worker thread).</param>
    /// <param name="weight">Batch rows a request occupies (its samples).</param>
    public BatchScheduler(Func<string, IReadOnlyList<TRequest>, CancellationToken, IReadOnlyList<TResult>> run, Func<TRequest, int> weight, TimeSpan window, int maxWeight)
    {
        _run = run;
        _weight = weight;
        _window = window;
        _maxWeight = maxWeight;
        _worker = Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Batches run so far and requests they held (for tests and metrics).</summary>
    public long Batches { get; private set; }
    public long Requests { get; private set; }

    public Task<IReadOnlyList<TResult>> Submit(string model, IReadOnlyList<TRequest> requests, CancellationToken cancellationToken)
    {
        var pending = new Pending(model, requests, new TaskCompletionSource<IReadOnlyList<TResult>>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(BatchScheduler<TRequest, TResult>));
        }

        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    private sealed record Pending(string Model, IReadOnlyList<TRequest> Requests, TaskCompletionSource<IReadOnlyList<TResult>> Result, CancellationToken Cancellation);

    private async Task Work()
    {
        var reader = _queue.Reader;
        var held = new List<Pending>();
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                if (held.Count == 0 && reader.TryRead(out var first))
                {
                    held.Add(first);
                }

                // A short window lets requests from other consumers join this batch.
                using var window = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                window.CancelAfter(_window);
                try
                {
                    while (Weight(held) < _maxWeight && await reader.WaitToReadAsync(window.Token))
                    {
                        while (Weight(held) < _maxWeight && reader.TryRead(out var next))
                        {
                            held.Add(next);
                        }
                    }
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                }

                foreach (var group in held.Where(p => !p.Cancellation.IsCancellationRequested).GroupBy(p => p.Model).ToList())
                {
                    var items = group.ToList();
                    try
                    {
                        var results = _run(group.Key, items.SelectMany(p => p.Requests).ToList(), _stop.Token);
                        Batches++;
                        Requests += items.Count;
                        var offset = 0;
                        foreach (var p in items)
                        {
                            p.Result.TrySetResult(results.Skip(offset).Take(p.Requests.Count).ToList());
                            offset += p.Requests.Count;
                        }
                    }
                    catch (Exception e)
                    {
                        foreach (var p in items)
                        {
                            p.Result.TrySetException(e);
                        }
                    }
                }

                foreach (var p in held.Where(p => p.Cancellation.IsCancellationRequested))
                {
                    p.Result.TrySetCanceled(p.Cancellation);
                }

                held.Clear();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }

        foreach (var p in held)
        {
            p.Result.TrySetCanceled();
        }
    }

    private int Weight(List<Pending> held) => held.Sum(p => p.Requests.Sum(_weight));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        await _worker;
        _stop.Dispose();
    }
}
