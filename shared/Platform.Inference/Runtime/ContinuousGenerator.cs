using System.Threading.Channels;

namespace Platform.Inference.Runtime;

/// <summary>Limits of a continuously batched decoder.</summary>
public sealed record ContinuousBatchLimits
{
    /// <summary>Most rows (samples) decoded in one step; a single larger request still runs, alone.</summary>
    public int MaxRows { get; init; } = 512;

    /// <summary>Most cache cells (rows x cache length) a batch may hold after admitting a request.</summary>
    public long MaxCells { get; init; } = 512L * 160;

    /// <summary>
    /// Decode loops, each on its own thread with its own batches (the row and cell limits are per loop);
    /// a submission goes whole to the loop with the fewest samples outstanding.
    /// </summary>
    public int Engines { get; init; } = 1;

    /// <summary>
    /// The decode loops to run for a configured count (0: one per core up to 8 on the CPU, one on a GPU),
    /// and the ONNX Runtime intra-op threads each loop's forward passes should use: what
    /// Inference:IntraOpThreads says when set, else the cores shared out among several CPU loops (0, ONNX
    /// Runtime's default, for one loop or a GPU).
    /// </summary>
    public static (int Engines, int IntraOpThreads) Layout(int configured, InferenceOptions inference, int cores)
    {
        var gpu = !string.Equals(inference.ExecutionProvider, "cpu", StringComparison.OrdinalIgnoreCase);
        var engines = configured > 0 ? configured : gpu ? 1 : Math.Clamp(cores, 1, 8);
        var threads = inference.IntraOpThreads > 0 || gpu || engines == 1 ? inference.IntraOpThreads : Math.Max(1, cores / engines);
        return (engines, threads);
    }
}

/// <summary>
/// The Generator's engine: each of its decode loops (<see cref="ContinuousBatchLimits.Engines"/>, one
/// thread each) keeps a live <see cref="ContinuousBatch"/> per model and, between decode
/// steps, admits waiting requests (first come, first served) up to the row and cell limits, so the
/// requests of concurrent runs share every forward pass and a long request never holds a short one
/// back. A submission goes whole to one loop (requests naming a shared prefix are prefilled together);
/// it completes when all of its requests have finished. Several loops with one ONNX Runtime thread
/// each use a CPU's cores better than one loop whose small operators are split across threads.
/// </summary>
public sealed class ContinuousGenerator : IAsyncDisposable
{
    /// <summary>Metrics of the inference engines (OpenTelemetry listens to this meter).</summary>
    public static readonly System.Diagnostics.Metrics.Meter Meter = new("Platform.Inference");

    private static readonly System.Diagnostics.Metrics.Histogram<int> BatchRows =
        Meter.CreateHistogram<int>("ttc.generation.batch.rows", "{row}", "Rows (samples) decoded together in one step");

    private readonly Func<string, DecoderSession> _sessions;
    private readonly ContinuousBatchLimits _limits;
    private readonly CancellationTokenSource _stop = new();
    private readonly Loop[] _loops;
    private long _rowSteps;
    private long _cellSteps;
    private long _decodeTicks;
    private long _admissions;

    public ContinuousGenerator(Func<string, DecoderSession> sessions, ContinuousBatchLimits limits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.Engines, 1);
        _sessions = sessions;
        _limits = limits;
        _loops = Enumerable.Range(0, limits.Engines).Select(_ => new Loop(this)).ToArray();
    }

    /// <summary>Decode steps run (all models and loops), rows they held in all, and admissions of waiting requests.</summary>
    public long Steps => _loops.Sum(l => Interlocked.Read(ref l.Steps));

    public long RowSteps => Interlocked.Read(ref _rowSteps);

    public long Admissions => Interlocked.Read(ref _admissions);

    /// <summary>
    /// Cache cells the decode steps read in all (rows, finished ones waiting for compaction included, times the cache
    /// length, padding included): on a CPU a step costs a fixed part plus about this much memory traffic.
    /// </summary>
    public long CellSteps => Interlocked.Read(ref _cellSteps);

    /// <summary>Wall time the decode steps took, summed over the loops.</summary>
    public TimeSpan DecodeTime => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _decodeTicks));

    /// <summary>Mean rows per decode step so far (0 before the first step).</summary>
    public double MeanRowsPerStep => Steps == 0 ? 0 : RowSteps / (double)Steps;

    /// <summary>Decode steps each loop has run.</summary>
    public IReadOnlyList<long> StepsPerEngine => [.. _loops.Select(l => Interlocked.Read(ref l.Steps))];

    public Task<IReadOnlyList<GenerationResult>> Submit(string model, IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        var submission = new Submission(requests.Count);
        if (requests.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<GenerationResult>>([]);
        }

        var loop = _loops.MinBy(l => Interlocked.Read(ref l.Outstanding))!;
        var samples = requests.Sum(r => (long)r.Samples);
        Interlocked.Add(ref loop.Outstanding, samples);
        submission.Completion.Task.ContinueWith(_ => Interlocked.Add(ref loop.Outstanding, -samples), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        for (var i = 0; i < requests.Count; i++)
        {
            if (!loop.Incoming.Writer.TryWrite(new Item(model, requests[i], submission, i)))
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
    private sealed class Lane(ContinuousBatch batch)
    {
        public ContinuousBatch Batch = batch;
        public readonly Queue<Item> Waiting = new();
        public readonly HashSet<Submission> InFlight = [];
    }

    /// <summary>One decode loop: its thread, its incoming requests, and a live batch per model.</summary>
    private sealed class Loop
    {
        public readonly Channel<Item> Incoming = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
        public readonly Task Worker;

        /// <summary>Samples of this loop's submissions that have not completed (what routing balances; a submission's are released when it completes).</summary>
        public long Outstanding;

        /// <summary>Decode steps this loop has run.</summary>
        public long Steps;

        private readonly ContinuousGenerator _g;
        private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

        public Loop(ContinuousGenerator generator)
        {
            _g = generator;
            Worker = Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning).Unwrap();
        }

        private async Task Work()
        {
            try
            {
                while (!_g._stop.IsCancellationRequested)
                {
                    while (Incoming.Reader.TryRead(out var item))
                    {
                        Enqueue(item);
                    }

                    var busy = _lanes.Values.Where(l => l.Batch.Rows > 0 || l.Waiting.Count > 0).ToList();
                    if (busy.Count == 0)
                    {
                        if (!await Incoming.Reader.WaitToReadAsync(_g._stop.Token))
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
                                var cells = lane.Batch.Cells;
                                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                                lane.Batch.Step(_g._stop.Token);
                                Interlocked.Add(ref _g._decodeTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
                                Interlocked.Increment(ref Steps);
                                Interlocked.Add(ref _g._rowSteps, rows);
                                Interlocked.Add(ref _g._cellSteps, cells);
                                BatchRows.Record(rows);
                            }
                        }
                        catch (OperationCanceledException) when (_g._stop.IsCancellationRequested)
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
                            lane.Batch = _g._sessions(ModelOf(lane)).NewBatch();
                        }

                        lane.InFlight.RemoveWhere(s => s.Completion.Task.IsCompleted);
                    }
                }
            }
            catch (OperationCanceledException) when (_g._stop.IsCancellationRequested)
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

                while (Incoming.Reader.TryRead(out var item))
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
                    session = _g._sessions(item.Model);
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
                var fits = newRows <= _g._limits.MaxRows && (long)newRows * newLength <= _g._limits.MaxCells;
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
                Interlocked.Add(ref _g._admissions, admitted.Count);
                lane.Batch.Admit(admitted);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var loop in _loops)
        {
            loop.Incoming.Writer.TryComplete();
        }

        await _stop.CancelAsync();
        foreach (var loop in _loops)
        {
            try
            {
                await loop.Worker;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }
}
