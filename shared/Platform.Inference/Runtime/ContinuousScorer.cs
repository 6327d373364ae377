using System.Threading.Channels;

namespace Platform.Inference.Runtime;

/// <summary>
/// The Verifier's engine: every solution of every submission waits in one queue per model; a worker
/// takes the next solutions in arrival order — from as many submissions as fit, up to the row and
/// token limits — into each forward pass. Nothing waits for a window: solutions that arrive while a
/// pass runs join the next one, and a large submission is cut into passes so that small ones queued
/// behind it share them instead of waiting for all of it.
/// </summary>
public sealed class ContinuousScorer : IAsyncDisposable
{
    private static readonly System.Diagnostics.Metrics.Histogram<int> PassRows =
        ContinuousGenerator.Meter.CreateHistogram<int>("ttc.scoring.batch.rows", "{solution}", "Solutions scored together in one pass");

    private readonly Func<string, PrmScorer> _scorers;
    private readonly int _maxRows;
    private readonly long _maxTokens;
    private readonly Channel<Item> _incoming = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Queue<Item>> _waiting = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private long _passes;
    private long _rows;

    public ContinuousScorer(Func<string, PrmScorer> scorers, int maxRows, long maxTokens)
    {
        _scorers = scorers;
        _maxRows = maxRows;
        _maxTokens = maxTokens;
        _worker = Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Scoring calls made, and the solutions they held in all.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    public long Rows => Interlocked.Read(ref _rows);

    public Task<IReadOnlyList<StepScores>> Submit(string model, IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken)
    {
        if (requests.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<StepScores>>([]);
        }

        var submission = new Submission(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (!_incoming.Writer.TryWrite(new Item(model, requests[i], submission, i)))
            {
                throw new ObjectDisposedException(nameof(ContinuousScorer));
            }
        }

        return submission.Completion.Task.WaitAsync(cancellationToken);
    }

    private sealed class Submission(int count)
    {
        public readonly StepScores[] Results = new StepScores[count];
        public readonly TaskCompletionSource<IReadOnlyList<StepScores>> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Remaining = count;

        public void Set(int index, StepScores result)
        {
            Results[index] = result;
            if (--Remaining == 0)
            {
                Completion.TrySetResult(Results);
            }
        }
    }

    private sealed record Item(string Model, ScoreRequest Request, Submission Submission, int Index);

    private async Task Work()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                while (_incoming.Reader.TryRead(out var item))
                {
                    if (!_waiting.TryGetValue(item.Model, out var queue))
                    {
                        _waiting[item.Model] = queue = new Queue<Item>();
                    }

                    queue.Enqueue(item);
                }

                var busy = _waiting.Where(kv => kv.Value.Count > 0).ToList();
                if (busy.Count == 0)
                {
                    if (!await _incoming.Reader.WaitToReadAsync(_stop.Token))
                    {
                        return;
                    }

                    continue;
                }

                foreach (var (model, queue) in busy)
                {
                    var pass = Take(queue);
                    if (pass.Count == 0)
                    {
                        continue;
                    }

                    try
                    {
                        var results = _scorers(model).Score(pass.Select(p => p.Request).ToList(), _stop.Token);
                        Interlocked.Increment(ref _passes);
                        Interlocked.Add(ref _rows, pass.Count);
                        PassRows.Record(pass.Count);
                        for (var i = 0; i < pass.Count; i++)
                        {
                            pass[i].Submission.Set(pass[i].Index, results[i]);
                        }
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        foreach (var p in pass)
                        {
                            p.Submission.Completion.TrySetException(e);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var item in _waiting.Values.SelectMany(q => q))
            {
                item.Submission.Completion.TrySetCanceled();
            }
        }
    }

    /// <summary>The next solutions in arrival order, up to the limits (always at least one).</summary>
    private List<Item> Take(Queue<Item> queue)
    {
        var pass = new List<Item>();
        long tokens = 0;
        while (queue.TryPeek(out var next))
        {
            if (next.Submission.Completion.Task.IsCompleted)
            {
                queue.Dequeue();
                continue;
            }

            var size = next.Request.Problem.Length + next.Request.Solution.Length;
            if (pass.Count > 0 && (pass.Count >= _maxRows || tokens + size > _maxTokens))
            {
                break;
            }

            pass.Add(queue.Dequeue());
            tokens += size;
        }

        return pass;
    }

    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _worker;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
