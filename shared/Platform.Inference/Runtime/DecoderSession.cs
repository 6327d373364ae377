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

    /// <summary>A sample being generated: one row of the batch.</summary>
    private sealed class Row(int request, int sample, int promptLength, SampleRandom random)
    {
        public readonly int Request = request;
        public readonly int Sample = sample;
        public readonly int PromptLength = promptLength;
        public SampleRandom Random = random;
        public readonly List<int> Tokens = [];
        public readonly StringBuilder Text = new();
        public string? Finish;
        public int Stops;

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

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var prompts = new int[requests.Count][];
        var errors = new string?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            errors[i] = Validate(requests[i], out prompts[i]);
        }

        var valid = Enumerable.Range(0, requests.Count).Where(i => errors[i] is null).ToArray();
        var flops = new double[requests.Count];
        var rows = new List<Row>();
        var done = new List<Row>();
        if (valid.Length > 0)
        {
            Run(requests, prompts, valid, flops, rows, done, cancellationToken);
        }

        var totalFlops = flops.Sum();
        var wall = clock.Elapsed.TotalMilliseconds;
        return Enumerable.Range(0, requests.Count).Select(i =>
        {
            if (errors[i] is { } error)
            {
                return new GenerationResult([], new InferenceUsage(), error);
            }

            var samples = done.Where(r => r.Request == i).OrderBy(r => r.Sample)
                .Select(r => new GeneratedSequence([.. r.Tokens], r.Text.ToString(), r.Finish!, r.Suppressed, r.Waits)).ToList();
            return new GenerationResult(samples, new InferenceUsage
            {
                PromptTokens = prompts[i].Length,
                CachedPromptTokens = (long)(requests[i].Samples - 1) * prompts[i].Length,
                GeneratedTokens = samples.Sum(s => (long)s.Tokens.Length + s.Suppressed),
                Flops = flops[i],
                WallMilliseconds = totalFlops > 0 ? wall * flops[i] / totalFlops : wall / valid.Length,
            });
        }).ToList();
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

    private void Run(IReadOnlyList<GenerationRequest> requests, int[][] prompts, int[] valid, double[] flops,
        List<Row> live, List<Row> done, CancellationToken cancellationToken)
    {
        var layers = _pastNames.Length;
        var width = valid.Max(i => prompts[i].Length);
        var scratch = new float[_vocab];

        // 1. Prefill every distinct prompt once, left-padded to a common width.
        long[] mask;
        OrtValue[] past;
        float[] lastLogits;
        {
            var r = valid.Length;
            var ids = new long[r * width];
            mask = new long[r * width];
            var positions = new long[r * width];
            for (var k = 0; k < r; k++)
            {
                var prompt = prompts[valid[k]];
                var offset = width - prompt.Length;
                for (var j = 0; j < prompt.Length; j++)
                {
                    ids[k * width + offset + j] = prompt[j];
                    mask[k * width + offset + j] = 1;
                    positions[k * width + offset + j] = j;
                }

                ids.AsSpan(k * width, offset).Fill(Tokenizer.PadId);
                flops[valid[k]] += PrefixFlops(prompt.Length);
            }

            var empty = Enumerable.Range(0, layers).Select(_ => Allocate([r, _kvHeads, 0, _headDim])).ToArray();
            past = Allocate(layers, [r, _kvHeads, width, _headDim]);
            using var logits = Allocate([r, width, _vocab]);
            Forward(ids, mask, positions, [r, width], empty, logits, past);
            Dispose(empty);

            lastLogits = new float[r * _vocab];
            var all = logits.GetTensorDataAsSpan<float>();
            for (var k = 0; k < r; k++)
            {
                all.Slice((k * width + width - 1) * _vocab, _vocab).CopyTo(lastLogits.AsSpan(k * _vocab, _vocab));
            }
        }

        // 2. Fork: each prompt's cache row is copied once per sample; first tokens come from the prefill logits.
        var sources = new List<int>();
        for (var k = 0; k < valid.Length; k++)
        {
            var request = requests[valid[k]];
            for (var s = 0; s < request.Samples; s++)
            {
                var row = new Row(valid[k], s, prompts[valid[k]].Length, SampleRandom.For(request.Sampling.Seed, s));
                live.Add(row);
                sources.Add(k);
                Accept(row, Choose(row, lastLogits.AsSpan(k * _vocab, _vocab), request, scratch), request);
            }
        }

        var length = width;
        var forked = Gather(past, mask, length, sources, trim: 0);
        Dispose(past);
        (past, mask) = forked;

        // 3. Decode all live rows together; drop finished ones.
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keep = Enumerable.Range(0, live.Count).Where(i => live[i].Finish is null).ToList();
            done.AddRange(live.Where(r => r.Finish is not null));
            if (keep.Count == 0)
            {
                Dispose(past);
                live.Clear();
                return;
            }

            if (keep.Count < live.Count)
            {
                var trim = keep.Min(i => LeadingPadding(mask, i, length));
                var old = past;
                (past, mask) = Gather(past, mask, length, keep, trim);
                Dispose(old);
                length -= trim;
                live = keep.Select(i => live[i]).ToList();
            }

            var b = live.Count;
            var ids = new long[b];
            var positions = new long[b];
            var grown = new long[b * (length + 1)];
            for (var i = 0; i < b; i++)
            {
                var row = live[i];
                ids[i] = row.Tokens[^1];
                positions[i] = row.Position++;
                for (var back = 1; back <= row.MaskBack; back++)
                {
                    mask[i * length + length - back] = 0; // hide the taken-back marker's cached positions
                }

                row.MaskBack = 0;
                Array.Copy(mask, i * length, grown, i * (length + 1), length);
                grown[i * (length + 1) + length] = 1;
                flops[row.Request] += TokenFlops(positions[i] + 1);
            }

            mask = grown;
            length++;
            var present = Allocate(layers, [b, _kvHeads, length, _headDim]);
            using (var logits = Allocate([b, 1, _vocab]))
            {
                Forward(ids, mask, positions, [b, 1], past, logits, present);
                var all = logits.GetTensorDataAsSpan<float>();
                for (var i = 0; i < b; i++)
                {
                    var row = live[i];
                    var request = requests[row.Request];
                    Accept(row, Choose(row, all.Slice(i * _vocab, _vocab), request, scratch), request);
                }
            }

            Dispose(past);
            past = present;
        }
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

    private static void Dispose(OrtValue[] values)
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
            var row = new Row(0, s, prompt.Length, SampleRandom.For(request.Sampling.Seed, s));
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
                Dispose(empty);
                Dispose(present);
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
