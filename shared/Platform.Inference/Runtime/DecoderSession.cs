using System.Diagnostics;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Platform.Inference.Models;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Runtime;

/// <summary>
/// Generation with an ONNX decoder in the Optimum decoder-with-past layout. The session is long-lived
/// and owns its <see cref="InferenceSession"/>; each <see cref="Generate"/> call is one batch: the
/// prompts are prefilled together once, each prompt's KV cache is forked for its N samples, every
/// live sequence decodes in one batch per step, and finished sequences are dropped from the batch.
/// The cache stays in ONNX Runtime values: a step's present tensors are the next step's past inputs,
/// and it is copied only when the batch is forked or shrinks.
/// </summary>
public sealed class DecoderSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _pastNames;
    private readonly string[] _presentNames;
    private readonly bool _hasPositionIds;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly int _vocab;
    private readonly int _context;

    private DecoderSession(ModelDirectory model, InferenceSession session)
    {
        Model = model;
        _session = session;
        var a = model.Manifest.Architecture;
        _kvHeads = a.KvHeads > 0 ? a.KvHeads : a.Heads;
        _headDim = a.HeadDim;
        _vocab = a.VocabSize;
        _context = a.Context;
        _pastNames = Enumerable.Range(0, a.Layers).SelectMany(i => new[] { $"past_key_values.{i}.key", $"past_key_values.{i}.value" }).ToArray();
        _presentNames = Enumerable.Range(0, a.Layers).SelectMany(i => new[] { $"present.{i}.key", $"present.{i}.value" }).ToArray();
        _hasPositionIds = session.InputMetadata.ContainsKey("position_ids");
        CheckGraph();
    }

    public ModelDirectory Model { get; }
    public ITokenizer Tokenizer => Model.Tokenizer;

    public static DecoderSession Open(ModelDirectory model, InferenceOptions options)
    {
        if (model.Manifest.Kind != "decoder")
        {
            throw new InvalidDataException($"{Path.Combine(model.Path, ModelManifest.FileName)}: kind is \"{model.Manifest.Kind}\", a generator needs \"decoder\"");
        }

        var session = Sessions.Create(model.OnnxPath, options);
        try
        {
            return new DecoderSession(model, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The manifest must describe the graph: same layers, heads, head size and vocabulary.</summary>
    private void CheckGraph()
    {
        var manifestPath = Path.Combine(Model.Path, ModelManifest.FileName);
        var inputs = _session.InputMetadata;
        foreach (var name in new[] { "input_ids", "attention_mask" }.Concat(_pastNames))
        {
            if (!inputs.ContainsKey(name))
            {
                throw new InvalidDataException($"{Model.OnnxPath} has no input '{name}' but {manifestPath} says architecture.layers = {_pastNames.Length / 2}");
            }
        }

        var extra = inputs.Keys.Count(k => k.StartsWith("past_key_values.", StringComparison.Ordinal)) - _pastNames.Length;
        if (extra != 0)
        {
            throw new InvalidDataException($"{Model.OnnxPath} has {inputs.Keys.Count(k => k.StartsWith("past_key_values.", StringComparison.Ordinal)) / 2} layers of past_key_values but {manifestPath} says architecture.layers = {_pastNames.Length / 2}");
        }

        var past = inputs[_pastNames[0]].Dimensions;
        if (past.Length != 4 || (past[1] > 0 && past[1] != _kvHeads) || (past[3] > 0 && past[3] != _headDim))
        {
            throw new InvalidDataException($"{Model.OnnxPath}: past_key_values are [{string.Join(", ", past)}] but {manifestPath} says {_kvHeads} heads of size {_headDim}");
        }

        var logits = _session.OutputMetadata.TryGetValue("logits", out var l) ? l.Dimensions
            : throw new InvalidDataException($"{Model.OnnxPath} has no output 'logits'");
        if (logits[^1] > 0 && logits[^1] != _vocab)
        {
            throw new InvalidDataException($"{Model.OnnxPath}: logits have {logits[^1]} entries but {manifestPath} says architecture.vocab_size = {_vocab}");
        }
    }

    /// <summary>Prompt ids as the model expects them (BOS first when the manifest asks for it).</summary>
    public int[] EncodePrompt(string prompt)
    {
        var ids = Tokenizer.Encode(prompt);
        return Model.Manifest.AddBos && Tokenizer.BosId is { } bos ? [bos, .. ids] : ids;
    }

    private double TokenFlops(long attended) =>
        Model.Manifest.FlopsPerToken + (double)Model.Manifest.AttentionFlopsPerPosition * attended;

    private double PrefixFlops(int length)
    {
        double f = 0;
        for (var j = 1; j <= length; j++)
        {
            f += TokenFlops(j);
        }

        return f;
    }

    /// <summary>A request admitted to a batch: its prompt, its finished rows, and the compute it has used.</summary>
    private sealed class Entry(GenerationRequest request, int[] prompt, Action<GenerationResult> done)
    {
        public readonly GenerationRequest Request = request;
        public readonly int[] Prompt = prompt;
        public readonly Action<GenerationResult> Done = done;
        public readonly List<Row> Finished = [];
        public int Remaining = request.Samples;

        /// <summary>Prompt tokens this entry took from another entry's shared-prefix cache.</summary>
        public int CachedShared;
        public double Flops;
        public double WallMilliseconds;
    }

    /// <summary>A sample being generated: one row of the batch.</summary>
    private sealed class Row(Entry entry, int sample, int promptLength, SampleRandom random)
    {
        public readonly Entry Entry = entry;
        public readonly int Sample = sample;
        public readonly int PromptLength = promptLength;
        public SampleRandom Random = random;
        public readonly List<int> Tokens = [];
        public readonly StringBuilder Text = new();
        public string? Finish;
        public int Stops;

        /// <summary>Finished and handed to its entry; the row may still sit in the batch until the next compaction.</summary>
        public bool Reported;

        /// <summary>Position of the next token fed to the model.</summary>
        public int Position = promptLength;

        // budget forcing
        public readonly Queue<int> Forced = new();
        public bool Thinking = true;
        public int ThinkingTokens;
        public int Waits;
        public int Suppressed;

        /// <summary>Already-fed positions to hide from attention at the next step (a taken-back marker).</summary>
        public int MaskBack;
    }

    /// <summary>
    /// One batch from start to end: every request is admitted at once, then the batch decodes until
    /// its last sample finishes. (A service keeps a <see cref="ContinuousBatch"/> running instead, so
    /// that requests arriving later join it between steps.)
    /// </summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        var results = new GenerationResult[requests.Count];
        using var batch = NewBatch();
        batch.Admit(requests.Select((r, i) => (r, (Action<GenerationResult>)(result => results[i] = result))).ToList());
        while (batch.Rows > 0)
        {
            batch.Step(cancellationToken);
        }

        return results;
    }

    /// <summary>A batch that requests can join between decode steps.</summary>
    public ContinuousBatch NewBatch() => new(this);

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
        private List<Row> _live = [];
        private int _dead;
        private OrtValue[]? _past;
        private long[] _mask = [];
        private int _length;

        internal ContinuousBatch(DecoderSession session)
        {
            _s = session;
            _scratch = new float[session._vocab];
        }

        /// <summary>Rows (samples) being decoded: finished rows left in the batch until its next compaction do not count.</summary>
        public int Rows => _live.Count - _dead;

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
                    done(new GenerationResult([], new InferenceUsage(), error));
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
                var all = logits.GetTensorDataAsSpan<float>();
                var logitsWidth = (int)(logits.GetTensorTypeAndShape().Shape[1]);
                for (var k = 0; k < r; k++)
                {
                    var entry = entries[k];
                    var last = all.Slice((k * logitsWidth + logitsWidth - 1) * _s._vocab, _s._vocab);
                    for (var sample = 0; sample < entry.Request.Samples; sample++)
                    {
                        var row = new Row(entry, sample, entry.Prompt.Length, SampleRandom.For(entry.Request.Sampling.Seed, sample));
                        rows.Add(row);
                        sources.Add(k);
                        _s.Accept(row, Choose(row, last, entry.Request, _scratch), entry.Request);
                    }
                }
            }

            // 3. Join the live batch: into the places of finished rows when there are enough of them and the
            //    cache is long enough (only the joining rows' cells are written), otherwise by a new cache
            //    holding both (dropping finished rows first: one copy of the whole cache).
            if (_past is not null && _dead >= rows.Count && width <= _length)
            {
                Reuse(past, mask, width, sources, rows);
                Free(past);
                ShareWall(entries, prefill, clock);
                return;
            }

            var (forked, forkedMask) = _s.Gather(past, mask, width, sources, trim: 0);
            Free(past);
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
                var merged = _s.Merge(_past, _mask, _length, _live.Count, forked, forkedMask, width, rows.Count);
                Free(_past);
                Free(forked);
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
            var layers = _s._pastNames.Length;
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
            var present = Allocate(layers, [b, _s._kvHeads, _length, _s._headDim]);
            using (var logits = Allocate([b, 1, _s._vocab]))
            {
                _s.Forward(ids, _mask, positions, [b, 1], _past!, logits, present);
                var all = logits.GetTensorDataAsSpan<float>();
                for (var i = 0; i < b; i++)
                {
                    var row = _live[i];
                    if (row.Finish is null)
                    {
                        _s.Accept(row, Choose(row, all.Slice(i * _s._vocab, _s._vocab), row.Entry.Request, _scratch), row.Entry.Request);
                    }
                }
            }

            Free(_past!);
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

        /// <summary>Hands rows that have finished to their entries (completing an entry with its last row); counts the finished rows in the batch.</summary>
        private void Report()
        {
            foreach (var row in _live)
            {
                if (row.Finish is null || row.Reported)
                {
                    continue;
                }

                row.Reported = true;
                _dead++;
                row.Entry.Finished.Add(row);
                if (--row.Entry.Remaining == 0)
                {
                    Complete(row.Entry);
                }
            }
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

            var (heads, headDim, length) = (_s._kvHeads, _s._headDim, _length);
            var block = width * headDim;
            for (var t = 0; t < past.Length; t++)
            {
                var from = past[t].GetTensorDataAsSpan<float>();
                var to = _past![t].GetTensorMutableDataAsSpan<float>();
                for (var j = 0; j < rows.Count; j++)
                {
                    for (var h = 0; h < heads; h++)
                    {
                        var src = (sources[j] * heads + h) * block;
                        var dst = ((slots[j] * heads + h) * length + length - width) * headDim;
                        from.Slice(src, block).CopyTo(to.Slice(dst, block));
                    }
                }
            }

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
            (_past, _mask) = _s.Gather(old, _mask, _length, keep, trim);
            Free(old);
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
                    shared = Math.Min(shared, LeadingPadding(_mask, i, _length));
                }
            }

            return shared;
        }

        private static void Complete(Entry entry)
        {
            var samples = entry.Finished.OrderBy(r => r.Sample)
                .Select(r => new GeneratedSequence([.. r.Tokens], r.Text.ToString(), r.Finish!, r.Suppressed, r.Waits)).ToList();
            entry.Done(new GenerationResult(samples, new InferenceUsage
            {
                PromptTokens = entry.Prompt.Length,
                CachedPromptTokens = (long)(entry.Request.Samples - 1) * entry.Prompt.Length + entry.CachedShared,
                GeneratedTokens = samples.Sum(x => (long)x.Tokens.Length + x.Suppressed),
                Flops = entry.Flops,
                WallMilliseconds = entry.WallMilliseconds,
            }));
        }

        private void Release()
        {
            if (_past is not null)
            {
                Free(_past);
            }

            _past = null;
            _mask = [];
            _length = 0;
            _live = [];
            _dead = 0;
        }

        public void Dispose() => Release();
    }

    /// <summary>
    /// Prefills the prompts of joining entries: the cache [entries, heads, width, head_dim] (left-padded),
    /// its mask, and the logits of the last pass (its last column is each prompt's last token). Entries
    /// whose requests name the same <see cref="GenerationRequest.SharedPrefix"/> have it computed once
    /// (stage 1), its cache copied to each, then their remainders computed on top of it (stage 2); the
    /// FLOPs of a shared prefix are shared out among its entries, and <paramref name="prefill"/> gets each
    /// entry's part.
    /// </summary>
    private (OrtValue[] Past, long[] Mask, int Width, OrtValue Logits) Prefill(List<Entry> entries, double[] prefill)
    {
        var r = entries.Count;

        // Groups of two or more entries naming the same shared prefix, the prefix encoded once per group;
        // an entry whose prompt does not start with it (or is no longer than it) shares nothing.
        var shared = new int[r];
        var groups = new List<(int[] Head, List<int> Members)>();
        foreach (var named in Enumerable.Range(0, r).Where(k => entries[k].Request.SharedPrefix.Length > 0)
            .GroupBy(k => entries[k].Request.SharedPrefix, StringComparer.Ordinal))
        {
            var head = EncodePrompt(named.Key);
            var members = named.Where(k => entries[k].Prompt.Length > head.Length && entries[k].Prompt.AsSpan(0, head.Length).SequenceEqual(head)).ToList();
            if (members.Count > 1)
            {
                groups.Add((head, members));
                members.ForEach(k => shared[k] = head.Length);
            }
        }

        if (groups.Count == 0)
        {
            var single = FreshPass(entries.Select(e => e.Prompt).ToList());
            for (var k = 0; k < r; k++)
            {
                prefill[k] = PrefixFlops(entries[k].Prompt.Length);
                entries[k].Flops += prefill[k];
            }

            return single;
        }

        // Stage 1: one row per shared prefix (and an empty one when some entry shares nothing); its FLOPs are shared out.
        var rowOf = Enumerable.Repeat(groups.Count, r).ToArray();
        for (var g = 0; g < groups.Count; g++)
        {
            var (head, members) = groups[g];
            foreach (var k in members)
            {
                rowOf[k] = g;
                prefill[k] += PrefixFlops(head.Length) / members.Count;
                entries[k].CachedShared += k == members[0] ? 0 : head.Length;
            }
        }

        List<int[]> stage1 = [.. groups.Select(g => g.Head), .. rowOf.Contains(groups.Count) ? new[] { Array.Empty<int>() } : []];
        var (past1, mask1, width1, logits1) = FreshPass(stage1);
        logits1.Dispose();
        var (forked, forkedMask) = Gather(past1, mask1, width1, rowOf, trim: 0);
        Free(past1);

        // Stage 2: every entry's remainder (at least its last prompt token) on top of its prefix's cache.
        var (ids2, mask2, positions2, width2) = LeftPadded([.. entries.Select((e, k) => e.Prompt[shared[k]..])], shared);
        var width = width1 + width2;
        var fullMask = new long[r * width];
        for (var k = 0; k < r; k++)
        {
            prefill[k] += PrefixFlops(entries[k].Prompt.Length) - PrefixFlops(shared[k]);
            entries[k].Flops += prefill[k];
            Array.Copy(forkedMask, k * width1, fullMask, k * width, width1);
            Array.Copy(mask2, k * width2, fullMask, k * width + width1, width2);
        }

        var present = Allocate(_pastNames.Length, [r, _kvHeads, width, _headDim]);
        var logits2 = Allocate([r, width2, _vocab]);
        Forward(ids2, fullMask, positions2, [r, width2], forked, logits2, present);
        Free(forked);
        return (present, fullMask, width, logits2);
    }

    /// <summary>One forward pass over token rows with no cache before them (left-padded, positions from 0): their cache, mask, width and logits.</summary>
    private (OrtValue[] Past, long[] Mask, int Width, OrtValue Logits) FreshPass(IReadOnlyList<int[]> rows)
    {
        var layers = _pastNames.Length;
        var (ids, mask, positions, width) = LeftPadded(rows, new int[rows.Count]);
        var empty = Enumerable.Range(0, layers).Select(_ => Allocate([rows.Count, _kvHeads, 0, _headDim])).ToArray();
        var past = Allocate(layers, [rows.Count, _kvHeads, width, _headDim]);
        var logits = Allocate([rows.Count, width, _vocab]);
        Forward(ids, mask, positions, [rows.Count, width], empty, logits, past);
        Free(empty);
        return (past, mask, width, logits);
    }

    /// <summary>Token rows left-padded to a common width, with their mask and positions (starting at each row's offset).</summary>
    private (long[] Ids, long[] Mask, long[] Positions, int Width) LeftPadded(IReadOnlyList<int[]> rows, IReadOnlyList<int> offsets)
    {
        var width = rows.Count == 0 ? 0 : rows.Max(x => x.Length);
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        var positions = new long[rows.Count * width];
        for (var k = 0; k < rows.Count; k++)
        {
            var pad = width - rows[k].Length;
            ids.AsSpan(k * width, pad).Fill(Tokenizer.PadId);
            for (var j = 0; j < rows[k].Length; j++)
            {
                ids[k * width + pad + j] = rows[k][j];
                mask[k * width + pad + j] = 1;
                positions[k * width + pad + j] = offsets[k] + j;
            }
        }

        return (ids, mask, positions, width);
    }

    private string? Validate(GenerationRequest request, out int[] prompt)
    {
        prompt = [];
        if (request.Samples is < 1 or > 4096)
        {
            return $"samples must be between 1 and 4096 (was {request.Samples})";
        }

        if (request.BudgetForcing is { } f)
        {
            if (f.EndOfThinking.Length == 0)
            {
                return $"budget forcing needs an end-of-thinking marker; model '{Model.Name}' names none (end_of_thinking in model.json)";
            }

            if (f.MinThinkingTokens < 0 || f.MaxThinkingTokens < f.MinThinkingTokens || f.MaxWaits < 0)
            {
                return $"budget forcing needs 0 <= min <= max thinking tokens and waits >= 0 (min={f.MinThinkingTokens}, max={f.MaxThinkingTokens}, waits={f.MaxWaits})";
            }

            try
            {
                // The continuation is only ever written when an early stop can be taken back.
                Tokenizer.Encode((f.MinThinkingTokens > 0 && f.MaxWaits > 0 ? f.Continuation : "") + f.EndOfThinking + f.AnswerPrefix);
            }
            catch (ArgumentException e)
            {
                return $"budget forcing: {e.Message}";
            }
        }

        if (request.StopAfter < 1)
        {
            return $"stop-after must be >= 1 (was {request.StopAfter})";
        }

        try
        {
            request.Sampling.Validate();
            prompt = EncodePrompt(request.Prompt);
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        if (prompt.Length == 0)
        {
            return "the prompt is empty";
        }

        return prompt.Length >= _context ? $"the prompt is {prompt.Length} tokens; the model's context is {_context}" : null;
    }

    /// <summary>The next token of a row: a forced one when budget forcing queued any, else a sample.</summary>
    private static int Choose(Row row, ReadOnlySpan<float> logits, GenerationRequest request, Span<float> scratch) =>
        row.Forced.Count > 0 ? row.Forced.Dequeue() : Sampler.Next(logits, request.Sampling, ref row.Random, scratch);

    /// <summary>Records a token and decides whether the sample is finished (or, with budget forcing, must think on).</summary>
    private void Accept(Row row, int token, GenerationRequest request)
    {
        var forcing = request.BudgetForcing;
        row.Tokens.Add(token);
        if (forcing is not null && row.Thinking)
        {
            row.ThinkingTokens++;
        }

        if (token == Tokenizer.EosId)
        {
            if (forcing is not null && row.Thinking && TakeBack(row, request, forcing, 1))
            {
                return;
            }

            row.Finish = FinishReasons.Eos;
            return;
        }

        var before = row.Text.Length;
        row.Text.Append(Tokenizer.TokenText(token));
        if (forcing is not null && row.Thinking)
        {
            if (EndsWith(row.Text, forcing.EndOfThinking, row.Text.Length))
            {
                // The tokens that wrote the marker (one for a special token, several for characters).
                var k = 0;
                var length = 0;
                while (length < forcing.EndOfThinking.Length && k < row.Tokens.Count)
                {
                    length += Tokenizer.TokenText(row.Tokens[^(++k)]).Length;
                }

                if (TakeBack(row, request, forcing, k))
                {
                    return;
                }

                row.Thinking = false;
            }
            else if (row.ThinkingTokens >= forcing.MaxThinkingTokens)
            {
                foreach (var t in Tokenizer.Encode(forcing.EndOfThinking + forcing.AnswerPrefix))
                {
                    row.Forced.Enqueue(t);
                }

                row.Thinking = false;
            }
        }

        // Occurrences of a stop string that end inside the text this token added (no per-token allocation).
        foreach (var stop in request.StopStrings)
        {
            for (var end = Math.Max(before + 1, stop.Length); end <= row.Text.Length; end++)
            {
                if (EndsWith(row.Text, stop, end) && ++row.Stops >= request.StopAfter)
                {
                    row.Text.Length = end;
                    row.Finish = FinishReasons.Stop;
                    return;
                }
            }
        }

        // Position is where the next fed token goes; the sequence (prompt + output) must stay within the context.
        if (row.Tokens.Count >= request.Sampling.MaxNewTokens || row.Position + 1 + row.Forced.Count >= _context)
        {
            row.Finish = FinishReasons.Length;
        }
    }

    /// <summary>
    /// Budget forcing: the sample tried to stop thinking too early. Its last <paramref name="k"/> tokens
    /// are taken back (the fed ones are hidden from attention, positions rewind), and the continuation
    /// is written instead. False when thinking may end (enough tokens, or no waits left).
    /// </summary>
    private bool TakeBack(Row row, GenerationRequest request, BudgetForcing forcing, int k)
    {
        if (row.ThinkingTokens - k >= forcing.MinThinkingTokens || row.Waits >= forcing.MaxWaits)
        {
            return false;
        }

        var removed = 0;
        for (var j = 0; j < k; j++)
        {
            removed += Tokenizer.TokenText(row.Tokens[^1]).Length;
            row.Tokens.RemoveAt(row.Tokens.Count - 1);
        }

        row.Text.Length = Math.Max(0, row.Text.Length - removed);
        row.MaskBack = k - 1; // the last taken-back token was sampled but never fed
        row.Position -= k - 1;
        row.ThinkingTokens -= k;
        row.Suppressed += k;
        row.Waits++;
        foreach (var t in Tokenizer.Encode(forcing.Continuation))
        {
            row.Forced.Enqueue(t);
        }

        if (row.Forced.Count > 0)
        {
            Accept(row, row.Forced.Dequeue(), request);
        }

        return true;
    }

    /// <summary>Whether <paramref name="text"/>[..<paramref name="end"/>] ends with <paramref name="marker"/>.</summary>
    private static bool EndsWith(StringBuilder text, string marker, int end)
    {
        if (marker.Length == 0 || end < marker.Length)
        {
            return false;
        }

        for (var i = 0; i < marker.Length; i++)
        {
            if (text[end - marker.Length + i] != marker[i])
            {
                return false;
            }
        }

        return true;
    }

    private static int LeadingPadding(long[] mask, int row, int length)
    {
        var n = 0;
        while (n < length && mask[row * length + n] == 0)
        {
            n++;
        }

        return n;
    }

    /// <summary>New cache and mask holding the given source rows, minus <paramref name="trim"/> leading columns.</summary>
    private (OrtValue[] Past, long[] Mask) Gather(OrtValue[] past, long[] mask, int length, IReadOnlyList<int> sources, int trim)
    {
        var kept = length - trim;
        var block = (long)kept * _headDim;
        var result = Allocate(past.Length, [sources.Count, _kvHeads, kept, _headDim]);
        for (var t = 0; t < past.Length; t++)
        {
            var from = past[t].GetTensorDataAsSpan<float>();
            var to = result[t].GetTensorMutableDataAsSpan<float>();
            for (var i = 0; i < sources.Count; i++)
            {
                for (var h = 0; h < _kvHeads; h++)
                {
                    var src = (((long)sources[i] * _kvHeads + h) * length + trim) * _headDim;
                    var dst = ((long)i * _kvHeads + h) * block;
                    from.Slice((int)src, (int)block).CopyTo(to.Slice((int)dst, (int)block));
                }
            }
        }

        var newMask = new long[sources.Count * kept];
        for (var i = 0; i < sources.Count; i++)
        {
            Array.Copy(mask, sources[i] * length + trim, newMask, i * kept, kept);
        }

        return (result, newMask);
    }

    /// <summary>
    /// One cache and mask holding the rows of <paramref name="a"/> then those of <paramref name="b"/>;
    /// the shorter side is left-padded with masked, zeroed columns to the longer length.
    /// </summary>
    private (OrtValue[] Past, long[] Mask) Merge(OrtValue[] a, long[] maskA, int lengthA, int rowsA, OrtValue[] b, long[] maskB, int lengthB, int rowsB)
    {
        var length = Math.Max(lengthA, lengthB);
        var result = Allocate(a.Length, [rowsA + rowsB, _kvHeads, length, _headDim]);
        for (var t = 0; t < a.Length; t++)
        {
            var to = result[t].GetTensorMutableDataAsSpan<float>();
            Copy(a[t].GetTensorDataAsSpan<float>(), rowsA, lengthA, to, 0, length);
            Copy(b[t].GetTensorDataAsSpan<float>(), rowsB, lengthB, to, rowsA, length);
        }

        var mask = new long[(rowsA + rowsB) * length];
        for (var i = 0; i < rowsA; i++)
        {
            Array.Copy(maskA, i * lengthA, mask, i * length + length - lengthA, lengthA);
        }

        for (var i = 0; i < rowsB; i++)
        {
            Array.Copy(maskB, i * lengthB, mask, (rowsA + i) * length + length - lengthB, lengthB);
        }

        return (result, mask);

        void Copy(ReadOnlySpan<float> from, int rows, int fromLength, Span<float> to, int firstRow, int toLength)
        {
            var pad = (toLength - fromLength) * _headDim;
            var block = fromLength * _headDim;
            for (var i = 0; i < rows; i++)
            {
                for (var h = 0; h < _kvHeads; h++)
                {
                    var dst = (((firstRow + i) * _kvHeads) + h) * toLength * _headDim;
                    to.Slice(dst, pad).Clear(); // padding must hold numbers: masked scores still multiply the values
                    from.Slice(((i * _kvHeads) + h) * block, block).CopyTo(to.Slice(dst + pad, block));
                }
            }
        }
    }

    private void Forward(long[] ids, long[] mask, long[] positions, long[] shape, OrtValue[] past, OrtValue logits, OrtValue[] present)
    {
        var names = new List<string>(3 + past.Length) { "input_ids", "attention_mask" };
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [shape[0], mask.Length / shape[0]]);
        using var positionValue = OrtValue.CreateTensorValueFromMemory(positions, shape);
        var values = new List<OrtValue>(3 + past.Length) { idsValue, maskValue };
        if (_hasPositionIds)
        {
            names.Add("position_ids");
            values.Add(positionValue);
        }

        names.AddRange(_pastNames);
        values.AddRange(past);
        _session.Run(_runOptions, names, values, ["logits", .. _presentNames], [logits, .. present]);
    }

    private static OrtValue Allocate(long[] shape) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);

    private static OrtValue[] Allocate(int count, long[] shape) =>
        Enumerable.Range(0, count).Select(_ => Allocate(shape)).ToArray();

    private static void Free(OrtValue[] values)
    {
        foreach (var v in values)
        {
            v.Dispose();
        }
    }

    /// <summary>
    /// The reference pattern without a cache: every step recomputes the whole sequence. Same tokens as
    /// <see cref="Generate"/> (used to test the cache, and as the benchmark's baseline).
    /// </summary>
    public GenerationResult GenerateWithoutCache(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        if (request.BudgetForcing is not null)
        {
            return new GenerationResult([], new InferenceUsage(), "budget forcing needs the cached decoder (Generate)");
        }

        if (Validate(request, out var prompt) is { } error)
        {
            return new GenerationResult([], new InferenceUsage(), error);
        }

        var scratch = new float[_vocab];
        var samples = new List<GeneratedSequence>();
        double flops = 0;
        for (var s = 0; s < request.Samples; s++)
        {
            var row = new Row(new Entry(request, prompt, _ => { }), s, prompt.Length, SampleRandom.For(request.Sampling.Seed, s));
            var sequence = new List<long>(prompt.Select(t => (long)t));
            while (row.Finish is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = sequence.Count;
                var ones = new long[n];
                Array.Fill(ones, 1L);
                var positions = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
                var empty = Enumerable.Range(0, _pastNames.Length).Select(_ => Allocate([1, _kvHeads, 0, _headDim])).ToArray();
                var present = Allocate(_pastNames.Length, [1, _kvHeads, n, _headDim]);
                using var logits = Allocate([1, n, _vocab]);
                Forward([.. sequence], ones, positions, [1, n], empty, logits, present);
                Free(empty);
                Free(present);
                flops += PrefixFlops(n);
                var token = Sampler.Next(logits.GetTensorDataAsSpan<float>().Slice((n - 1) * _vocab, _vocab), request.Sampling, ref row.Random, scratch);
                Accept(row, token, request);
                sequence.Add(token);
            }

            samples.Add(new GeneratedSequence([.. row.Tokens], row.Text.ToString(), row.Finish));
        }

        return new GenerationResult(samples, new InferenceUsage
        {
            PromptTokens = prompt.Length,
            GeneratedTokens = samples.Sum(x => (long)x.Tokens.Length),
            Flops = flops,
            WallMilliseconds = clock.Elapsed.TotalMilliseconds,
        });
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
