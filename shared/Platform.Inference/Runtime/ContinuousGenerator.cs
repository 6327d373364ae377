using System.Threading.Channels;

namespace Platform.Inference.Runtime;

/// <summary>Limits of a continuously batched decoder.</summary>
public sealed record ContinuousBatchLimits
{
    /// <summary>Most rows (samples) decoded in one step; a single larger request still runs, alone.</summary>
    public int MaxRows { get; init; } = 512;

    /// <summary>Most cache cells (rows x cache length) a batch may hold after admitting a request.</summary>
    public long MaxCells { get; init; } = 512L * 160;
}

/// <summary>
/// The Generator's engine: one worker thread keeps a live <see cref="DecoderSession.ContinuousBatch"/>
/// per model and, between decode steps, admits waiting requests (first come, first served) up to the
/// row and cell limits, so the requests of concurrent runs share every forward pass and a long request
/// never holds a short one back. Each submission completes when all of its requests have finished.
/// </summary>
public sealed class ContinuousGenerator : IAsyncDisposable
{
    /// <summary>Metrics of the inference engines (OpenTelemetry listens to this meter).</summary>
    public static readonly System.Diagnostics.Metrics.Meter Meter = new("Platform.Inference");

    private static readonly System.Diagnostics.Metrics.Histogram<int> BatchRows =
        Meter.CreateHistogram<int>("ttc.generation.batch.rows", "{row}", "Rows (samples) decoded together in one step");

    private readonly Func<string, DecoderSession> _sessions;
    private readonly ContinuousBatchLimits _limits;
    private readonly Channel<Item> _incoming = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private long _steps;
    private long _rowSteps;
    private long _admissions;

    public ContinuousGenerator(Func<string, DecoderSession> sessions, ContinuousBatchLimits limits)
    {
        _sessions = sessions;
        _limits = limits;
        _worker = Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Decode steps run (all models), rows they held in all, and admissions of waiting requests.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    public long RowSteps => Interlocked.Read(ref _rowSteps);

    public long Admissions => Interlocked.Read(ref _admissions);

    /// <summary>Mean rows per decode step so far (0 before the first step).</summary>
    public double MeanRowsPerStep => Steps == 0 ? 0 : RowSteps / (double)Steps;

    public Task<IReadOnlyList<GenerationResult>> Submit(string model, IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        var submission = new Submission(requests.Count);
        if (requests.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<GenerationResult>>([]);
        }

        for (var i = 0; i < requests.Count; i++)
        {
            if (!_incoming.Writer.TryWrite(new Item(model, requests[i], submission, i)))
            {
                throw new ObjectDisposedException(nameof(ContinuousGenerator));
            }
        }

        return submission.Completion.Task.WaitAsync(cancellationToken);
    }

    private sealed class Submission(int count)
    {
        public readonly GenerationResult[] Results = new GenerationResult[count];
        public readonly TaskCompletionSource<IReadOnlyList<GenerationResult>> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Remaining = count;

        public void Set(int index, GenerationResult result)
        {
            Results[index] = result;
            if (Interlocked.Decrement(ref Remaining) == 0)
            {
                Completion.TrySetResult(Results);
            }
        }
    }

    private sealed record Item(string Model, GenerationRequest Request, Submission Submission, int Index);

    /// <summary>One model's live batch, its waiting requests, and the submissions it holds work of.</summary>
    private sealed class Lane(DecoderSession.ContinuousBatch batch)
    {
        public DecoderSession.ContinuousBatch Batch = batch;
        public readonly Queue<Item> Waiting = new();
        public readonly HashSet<Submission> InFlight = [];
    }

    private async Task Work()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                while (_incoming.Reader.TryRead(out var item))
                {
                    Enqueue(item);
                }

                var busy = _lanes.Values.Where(l => l.Batch.Rows > 0 || l.Waiting.Count > 0).ToList();
                if (busy.Count == 0)
                {
                    if (!await _incoming.Reader.WaitToReadAsync(_stop.Token))
                    {
                        return;
                    }

                    continue;
                }

                foreach (var lane in busy)
                {
                    try
                    {
                        Admit(lane);
                        if (lane.Batch.Rows > 0)
                        {
                            var rows = lane.Batch.Rows;
                            lane.Batch.Step(_stop.Token);
                            Interlocked.Increment(ref _steps);
                            Interlocked.Add(ref _rowSteps, rows);
                            BatchRows.Record(rows);
                        }
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        // A failed forward pass fails what the batch held; the lane starts over with a fresh batch.
                        foreach (var submission in lane.InFlight)
                        {
                            submission.Completion.TrySetException(e);
                        }

                        lane.InFlight.Clear();
                        lane.Batch.Dispose();
                        lane.Batch = _sessions(ModelOf(lane)).NewBatch();
                    }

                    lane.InFlight.RemoveWhere(s => s.Completion.Task.IsCompleted);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var lane in _lanes.Values)
            {
                foreach (var s in lane.InFlight.Concat(lane.Waiting.Select(w => w.Submission)))
                {
                    s.Completion.TrySetCanceled();
                }

                lane.Batch.Dispose();
            }

            while (_incoming.Reader.TryRead(out var item))
            {
                item.Submission.Completion.TrySetCanceled();
            }
        }
    }

    private string ModelOf(Lane lane) => _lanes.First(kv => ReferenceEquals(kv.Value, lane)).Key;

    private void Enqueue(Item item)
    {
        if (!_lanes.TryGetValue(item.Model, out var lane))
        {
            DecoderSession session;
            try
            {
                session = _sessions(item.Model);
            }
            catch (Exception e)
            {
                item.Submission.Completion.TrySetException(e);
                return;
            }

            _lanes[item.Model] = lane = new Lane(session.NewBatch());
        }

        lane.Waiting.Enqueue(item);
    }

    /// <summary>Admits waiting requests in order while the batch stays within its limits (an empty batch always takes one).</summary>
    private void Admit(Lane lane)
    {
        var admitted = new List<(GenerationRequest, Action<GenerationResult>)>();
        var rows = lane.Batch.Rows;
        var length = lane.Batch.Length;
        while (lane.Waiting.TryPeek(out var next))
        {
            if (next.Submission.Completion.Task.IsCompleted)
            {
                lane.Waiting.Dequeue(); // its submission already failed or was cancelled
                continue;
            }

            var newRows = rows + next.Request.Samples;
            var newLength = Math.Max(length, next.Request.Prompt.Length + 2);
            var fits = newRows <= _limits.MaxRows && (long)newRows * newLength <= _limits.MaxCells;
            if (!fits && (rows > 0 || admitted.Count > 0))
            {
                break;
            }

            lane.Waiting.Dequeue();
            (rows, length) = (newRows, newLength);
            lane.InFlight.Add(next.Submission);
            var item = next;
            admitted.Add((item.Request, result => item.Submission.Set(item.Index, result)));
        }

        if (admitted.Count > 0)
        {
            Interlocked.Add(ref _admissions, admitted.Count);
            lane.Batch.Admit(admitted);
        }
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
