using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

using Platform.Contracts;

namespace Platform.Inference.Runtime;

/// <summary>
/// Iteration-level scheduling (as in Orca and vLLM): a live decode batch that requests join between
/// steps and leave when their samples finish. A joining request's prompts are prefilled once (in one
/// forward pass with the others joining at the same time), each prompt's cache is forked for its N
/// samples, and the new rows take the places of finished rows or are merged into the live cache
/// (left-padded to a common length). Each step decodes every live row once; a request completes — its callback runs — when its last sample
/// finishes. Wall time is shared out to requests in proportion to the FLOPs of each forward pass.
/// </summary>
public sealed class ContinuousBatch : IDisposable
{
    private readonly DecoderSession _s;
    private readonly float[] _scratch;
    private readonly float[] _wide; // one row of half-precision logits widened to float32
    private readonly SharedRollouts _rollouts = new();
    private List<Row> _live = [];
    private int _dead;
    private OrtValue[]? _past;
    private long[] _mask = [];
    private int _length;

    internal ContinuousBatch(DecoderSession session)
    {
        _s = session;
        _scratch = new float[session.Vocab];
        _wide = new float[session.Vocab];
    }

    /// <summary>Rows (samples) being decoded: finished rows left in the batch until its next compaction do not count.</summary>
    public int Rows => _live.Count - _dead;

    /// <summary>Cache cells the next decode step reads: every row in the batch (finished ones waiting for compaction included) times the cache length it will have.</summary>
    public long Cells => _live.Count * (long)(_length + 1);

    /// <summary>Cache length of the live batch (positions, padding included).</summary>
    public int Length => _length;

    /// <summary>Decode steps run, and the rows they held in all (mean rows per step = RowSteps / Steps).</summary>
    public long Steps { get; private set; }

    public long RowSteps { get; private set; }

    /// <summary>Rows that joined in the places of finished rows (no copy of the live cache).</summary>
    public long RowsJoinedInPlace { get; private set; }

    /// <summary>
    /// Admits requests: invalid ones complete at once with their error; valid ones are prefilled
    /// together and join the live batch. Each callback runs when its request has finished.
    /// </summary>
    public void Admit(IReadOnlyList<(GenerationRequest Request, Action<GenerationResult> Done)> items)
    {
        var entries = new List<Entry>(items.Count);
        foreach (var (request, done) in items)
        {
            if (_s.Validate(request, out var prompt) is { } error)
            {
                done(new GenerationResult([], new ComputeUsage(), error, ContextFull: prompt.Length > 0 && _s.FillsContext(prompt)));
                continue;
            }

            entries.Add(new Entry(request, prompt, done));
        }

        if (entries.Count == 0)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        var r = entries.Count;
        var prefill = new double[r];

        // 1. Prefill every joining prompt once, left-padded to a common width; prompts that share a
        //    prefix have it prefilled once (stage 1), then only their remainders (stage 2).
        var (past, mask, width, logits) = _s.Prefill(entries, prefill);
        var rows = new List<Row>();
        var sources = new List<int>();
        using (logits)
        {
            // 2. Fork: each prompt's cache row is copied once per sample; first tokens come from the prefill logits.
            var logitsWidth = (int)(logits.GetTensorTypeAndShape().Shape[1]);
            var scores = ElementTypes.Floats(logits);
            for (var k = 0; k < r; k++)
            {
                var entry = entries[k];
                var last = scores.Slice(((long)k * logitsWidth + logitsWidth - 1) * _s.Vocab, _s.Vocab, _wide);
                for (var sample = 0; sample < entry.Request.Samples; sample++)
                {
                    var row = new Row(entry, sample, entry.Prompt.Length, SampleRandom.For(entry.Request.Sampling.Seed, sample));
                    rows.Add(row);
                    sources.Add(k);
                    Next(row, last);
                }
            }
        }

        // 3. Join the live batch: into the places of finished rows when there are enough of them and the
        //    cache is long enough (only the joining rows' cells are written), otherwise by a new cache
        //    holding both (dropping finished rows first: one copy of the whole cache).
        if (_past is not null && _dead >= rows.Count && width <= _length)
        {
            Reuse(past, mask, width, sources, rows);
            DecoderGraph.Free(past);
            ShareWall(entries, prefill, clock);
            return;
        }

        var (forked, forkedMask) = _s.Cache.Gather(past, mask, width, sources, trim: 0);
        DecoderGraph.Free(past);
        ShareWall(entries, prefill, clock);
        if (_dead > 0)
        {
            Compact();
        }

        if (_past is null)
        {
            (_past, _mask, _length) = (forked, forkedMask, width);
        }
        else
        {
            var merged = _s.Cache.Merge(_past, _mask, _length, _live.Count, forked, forkedMask, width, rows.Count);
            DecoderGraph.Free(_past);
            DecoderGraph.Free(forked);
            (_past, _mask) = merged;
            _length = Math.Max(_length, width);
        }

        _live.AddRange(rows);
    }

    /// <summary>
    /// Completes the requests whose samples have all finished, then decodes every row once. A finished
    /// row stays in the batch (fed, its output ignored) until a joining row takes its place or finished
    /// rows make up a quarter of the batch: dropping rows copies the whole cache, and doing it whenever
    /// any of many concurrent requests' samples finishes would copy it nearly every step. The cache is
    /// also compacted when a quarter of its length is padding in every unfinished row (rows joining in
    /// finished rows' places keep it from being trimmed otherwise).
    /// </summary>
    public void Step(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Report();
        if (_dead == _live.Count)
        {
            Release();
            return;
        }

        if ((_dead > 0 && _dead * 4 >= _live.Count) || SharedPadding() * 4 >= _length)
        {
            Compact();
        }

        var clock = Stopwatch.StartNew();
        var layers = _s.Graph.PastNames.Count;
        var b = _live.Count;
        var ids = new long[b];
        var positions = new long[b];
        var grown = new long[b * (_length + 1)];
        var stepFlops = new double[b];
        for (var i = 0; i < b; i++)
        {
            var row = _live[i];
            ids[i] = row.Tokens[^1];
            if (row.Finish is not null)
            {
                // A finished row waiting for compaction: fed its last token again at its last position; nothing is counted.
                positions[i] = row.Position - 1;
                Array.Copy(_mask, i * _length, grown, i * (_length + 1), _length);
                continue;
            }

            positions[i] = row.Position++;
            for (var back = 1; back <= row.MaskBack; back++)
            {
                _mask[i * _length + _length - back] = 0; // hide the taken-back marker's cached positions
            }

            row.MaskBack = 0;
            Array.Copy(_mask, i * _length, grown, i * (_length + 1), _length);
            grown[i * (_length + 1) + _length] = 1;
            stepFlops[i] = _s.TokenFlops(positions[i] + 1);
            row.Entry.Flops += stepFlops[i];
        }

        _mask = grown;
        _length++;
        var present = _s.Graph.AllocateCache(layers, [b, _s.KvHeads, _length, _s.HeadDim]);
        using (var logits = _s.Graph.AllocateOutput("logits", [b, 1, _s.Vocab]))
        {
            _s.Forward(ids, _mask, positions, [b, 1], _past!, logits, present);
            var scores = ElementTypes.Floats(logits);
            for (var i = 0; i < b; i++)
            {
                var row = _live[i];
                if (row.Finish is null)
                {
                    Next(row, scores.Slice((long)i * _s.Vocab, _s.Vocab, _wide));
                }
            }
        }

        DecoderGraph.Free(_past!);
        _past = present;
        Steps++;
        RowSteps += b - _dead;
        var wall = clock.Elapsed.TotalMilliseconds;
        var total = stepFlops.Sum();
        for (var i = 0; i < b; i++)
        {
            if (stepFlops[i] > 0)
            {
                _live[i].Entry.WallMilliseconds += wall * stepFlops[i] / total;
            }
        }

        Report();
        if (_dead == _live.Count)
        {
            Release();
        }
    }

    private void Next(Row row, ReadOnlySpan<float> logits)
    {
        _s.Stopping.Next(row, logits, row.Entry.Request, _scratch);
        if (row.Entry.Request.RolloutSteps > 0)
        {
            _rollouts.Begin(row);
        }
    }

    /// <summary>Hands rows that have finished to their entries (completing an entry with its last row); counts the finished rows in the batch.</summary>
    private void Report()
    {
        var kept = false;
        for (var i = 0; i < _live.Count; i++)
        {
            var row = _live[i];
            if (row.Finish is null || row.Reported)
            {
                continue;
            }

            kept |= Keep(i, row);
            row.Reported = true;
            _dead++;
            _rollouts.Ended(row);
            row.Entry.Finished.Add(row);
            if (--row.Entry.Remaining == 0)
            {
                Complete(row.Entry);
            }

            if (row.Dependents is { } waiting)
            {
                row.Dependents = null;
                waiting.ForEach(Complete);
            }
        }

        if (kept)
        {
            _s.Prefixes.Trim();
        }
    }

    /// <summary>
    /// Puts a finished sample's cache (its prompt and the tokens fed after it) in the session's prefix
    /// tree when its request asks for it (a search step, whose next round extends it). A sample that budget
    /// forcing changed is not kept: its cache holds hidden positions.
    /// </summary>
    private bool Keep(int i, Row row)
    {
        if (!row.Entry.Request.KeepSamples || _s.Prefixes.CapacityBytes == 0 || _past is null || row.Suppressed > 0 || row.Waits > 0 || row.Tokens.Count == 0)
        {
            return false;
        }

        int[] ids = [.. row.Entry.Prompt, .. row.Tokens.Take(row.Tokens.Count - 1)];
        var columns = DecoderSession.Columns(_mask, i, _length);
        if (columns.Length != ids.Length)
        {
            return false; // not the layout expected: keep nothing rather than something wrong
        }

        _s.Prefixes.Insert(ids, _past, i, _length, columns);
        return true;
    }

    /// <summary>The admission's wall time, shared out to its entries in proportion to their prefill FLOPs.</summary>
    private static void ShareWall(List<Entry> entries, double[] prefill, Stopwatch clock)
    {
        var wall = clock.Elapsed.TotalMilliseconds;
        var total = prefill.Sum();
        for (var k = 0; k < entries.Count; k++)
        {
            entries[k].WallMilliseconds += total > 0 ? wall * prefill[k] / total : wall / entries.Count;
        }
    }

    /// <summary>
    /// Puts joining rows (their prefilled cache <paramref name="past"/> [prompts, heads, width, head_dim],
    /// row <c>sources[j]</c> for new row j) into the places of finished rows: each new row's cells end at
    /// the batch's current length like every live row's, the cells before them are masked (they keep the
    /// finished row's numbers, which are finite, so masked scores times values stay zero).
    /// </summary>
    private void Reuse(OrtValue[] past, long[] mask, int width, List<int> sources, List<Row> rows)
    {
        var slots = new List<int>(rows.Count);
        for (var i = 0; i < _live.Count && slots.Count < rows.Count; i++)
        {
            if (_live[i].Reported)
            {
                slots.Add(i);
            }
        }

        var length = _length;
        _s.Cache.CopyInto(past, width, sources, _past!, length, slots);
        for (var j = 0; j < rows.Count; j++)
        {
            var i = slots[j];
            Array.Clear(_mask, i * length, length - width);
            Array.Copy(mask, sources[j] * width, _mask, i * length + length - width, width);
            _live[i] = rows[j];
        }

        _dead -= rows.Count;
        RowsJoinedInPlace += rows.Count;
    }

    /// <summary>Drops the finished rows: the cache keeps only unfinished rows, less the leading padding they all share.</summary>
    private void Compact()
    {
        var keep = new List<int>(_live.Count - _dead);
        for (var i = 0; i < _live.Count; i++)
        {
            if (_live[i].Finish is null)
            {
                keep.Add(i);
            }
        }

        if (keep.Count == 0)
        {
            Release();
            return;
        }

        var trim = SharedPadding();
        var old = _past!;
        (_past, _mask) = _s.Cache.Gather(old, _mask, _length, keep, trim);
        DecoderGraph.Free(old);
        _length -= trim;
        _live = keep.Select(i => _live[i]).ToList();
        _dead = 0;
    }

    /// <summary>Leading cache columns that are padding in every unfinished row (what a compaction would trim).</summary>
    private int SharedPadding()
    {
        var shared = _length;
        for (var i = 0; i < _live.Count && shared > 0; i++)
        {
            if (_live[i].Finish is null)
            {
                shared = Math.Min(shared, KvCache.LeadingPadding(_mask, i, _length));
            }
        }

        return shared;
    }

    private static void Complete(Entry entry)
    {
        // A sample that takes another row's rollout waits for that row to finish it.
        if (entry.Finished.Find(r => r.Leader is { Reported: false }) is { } follower)
        {
            (follower.Leader!.Dependents ??= []).Add(entry);
            return;
        }

        var samples = entry.Finished.OrderBy(r => r.Sample)
            .Select(Sequence).ToList();
        entry.Done(new GenerationResult(samples, new ComputeUsage
        {
            // Computed prompt positions, and those read from a cache instead: the prefix tree's, and the prompt's pass each further sample shares.
            PromptTokens = entry.Prompt.Length - entry.CachedShared,
            CachedPromptTokens = (long)(entry.Request.Samples - 1) * entry.Prompt.Length + entry.CachedShared,
            GeneratedTokens = samples.Sum(x => (long)x.Tokens.Length + x.Suppressed),
            Flops = entry.Flops,
            DeviceMilliseconds = entry.WallMilliseconds,
        }));
    }

    /// <summary>
    /// A finished row as its sample: with a rollout, the sample's own text and finish, then what the rollout wrote
    /// (a row that took another's rollout reports that one, with none of its tokens).
    /// </summary>
    private static GeneratedSequence Sequence(Row r)
    {
        var text = r.Text.ToString();
        var rolled = r.RolloutToken >= 0;
        var own = rolled ? r.RolloutText : text.Length;
        var rollout = r.Leader is { } leader ? leader.Text.ToString(leader.RolloutText, leader.Text.Length - leader.RolloutText) : text[own..];
        return new GeneratedSequence([.. r.Tokens], text[..own], rolled ? FinishReasons.Stop : r.Finish!, r.Suppressed, r.Waits)
        {
            LogProbs = [.. r.LogProbs], Confidences = [.. r.Confidences], Rollout = rollout,
            RolloutTokens = rolled && r.Leader is null ? r.Tokens.Count - r.RolloutToken : 0,
        };
    }

    private void Release()
    {
        if (_past is not null)
        {
            DecoderGraph.Free(_past);
        }

        _past = null;
        _mask = [];
        _length = 0;
        _live = [];
        _dead = 0;
        _rollouts.Clear();
    }

    public void Dispose() => Release();
}
