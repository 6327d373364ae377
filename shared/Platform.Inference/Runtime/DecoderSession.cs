using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Platform.Inference.Models;
using Platform.Inference.Tokenization;

namespace Platform.Inference.Runtime;

/// <summary>
/// Generation with an ONNX decoder in the Optimum decoder-with-past layout. The session is long-lived
/// and owns its <see cref="DecoderGraph"/>; generation runs in a <see cref="ContinuousBatch"/> (each
/// <see cref="Generate"/> call is one batch from start to end): the prompts are prefilled together once
/// (here), each prompt's KV cache is forked for its N samples (<see cref="KvCache"/>), every live
/// sequence decodes in one batch per step, and each token is checked by the <see cref="StoppingRules"/>.
/// </summary>
public sealed class DecoderSession : IDisposable
{
    private readonly DecoderGraph _graph;
    private readonly string[] _pastNames;
    private readonly int _context;

    private DecoderSession(ModelDirectory model, DecoderGraph graph)
    {
        Model = model;
        _graph = graph;
        var a = model.Manifest.Architecture;
        KvHeads = a.KvHeads > 0 ? a.KvHeads : a.Heads;
        HeadDim = a.HeadDim;
        Vocab = a.VocabSize;
        _context = a.Context;
        _pastNames = Enumerable.Range(0, a.Layers).SelectMany(i => new[] { $"past_key_values.{i}.key", $"past_key_values.{i}.value" }).ToArray();
        CheckGraph();
        Cache = new KvCache(graph, KvHeads, HeadDim);
        Stopping = new StoppingRules(model.Tokenizer, _context);
    }

    public ModelDirectory Model { get; }
    public ITokenizer Tokenizer => Model.Tokenizer;

    internal DecoderGraph Graph => _graph;
    internal KvCache Cache { get; }
    internal StoppingRules Stopping { get; }
    internal int KvHeads { get; }
    internal int HeadDim { get; }
    internal int Vocab { get; }

    public static DecoderSession Open(ModelDirectory model, InferenceOptions options)
    {
        if (model.Manifest.Kind != "decoder")
        {
            throw new InvalidDataException($"{Path.Combine(model.Path, ModelManifest.FileName)}: kind is \"{model.Manifest.Kind}\", a generator needs \"decoder\"");
        }

        var graph = DecoderGraph.Open(model.OnnxPath, options);
        try
        {
            return new DecoderSession(model, graph);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>The manifest must describe the graph: same layers, heads, head size and vocabulary.</summary>
    private void CheckGraph()
    {
        var manifestPath = Path.Combine(Model.Path, ModelManifest.FileName);
        var inputs = _graph.Inputs;
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
        if (past.Length != 4 || (past[1] > 0 && past[1] != KvHeads) || (past[3] > 0 && past[3] != HeadDim))
        {
            throw new InvalidDataException($"{Model.OnnxPath}: past_key_values are [{string.Join(", ", past)}] but {manifestPath} says {KvHeads} heads of size {HeadDim}");
        }

        var logits = _graph.Outputs.TryGetValue("logits", out var l) ? l.Dimensions
            : throw new InvalidDataException($"{Model.OnnxPath} has no output 'logits'");
        if (logits[^1] > 0 && logits[^1] != Vocab)
        {
            throw new InvalidDataException($"{Model.OnnxPath}: logits have {logits[^1]} entries but {manifestPath} says architecture.vocab_size = {Vocab}");
        }
    }

    /// <summary>Prompt ids as the model expects them (with the tokenizer's special tokens, a BOS say, when the manifest asks for them).</summary>
    public int[] EncodePrompt(string prompt) => Model.EncodePrompt(prompt);

    internal double TokenFlops(long attended) =>
        Model.Manifest.FlopsPerToken + (double)Model.Manifest.AttentionFlopsPerPosition * attended;

    internal double PrefixFlops(int length)
    {
        double f = 0;
        for (var j = 1; j <= length; j++)
        {
            f += TokenFlops(j);
        }

        return f;
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
    /// Prefills the prompts of joining entries: the cache [entries, heads, width, head_dim] (left-padded),
    /// its mask, and the logits of the last pass (its last column is each prompt's last token). Entries
    /// whose requests name the same <see cref="GenerationRequest.SharedPrefix"/> have it computed once
    /// (stage 1), its cache copied to each, then their remainders computed on top of it (stage 2); the
    /// FLOPs of a shared prefix are shared out among its entries, and <paramref name="prefill"/> gets each
    /// entry's part.
    /// </summary>
    internal (OrtValue[] Past, long[] Mask, int Width, OrtValue Logits) Prefill(List<Entry> entries, double[] prefill)
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
        var (forked, forkedMask) = Cache.Gather(past1, mask1, width1, rowOf, trim: 0);
        DecoderGraph.Free(past1);

        // Stage 2: every entry's remainder (at least its last prompt token) on top of its prefix's cache.
        var (ids2, mask2, positions2, width2) = KvCache.LeftPadded([.. entries.Select((e, k) => e.Prompt[shared[k]..])], shared, Tokenizer.PadId);
        var width = width1 + width2;
        var fullMask = new long[r * width];
        for (var k = 0; k < r; k++)
        {
            prefill[k] += PrefixFlops(entries[k].Prompt.Length) - PrefixFlops(shared[k]);
            entries[k].Flops += prefill[k];
            Array.Copy(forkedMask, k * width1, fullMask, k * width, width1);
            Array.Copy(mask2, k * width2, fullMask, k * width + width1, width2);
        }

        var present = _graph.AllocateCache(_pastNames.Length, [r, KvHeads, width, HeadDim]);
        var logits2 = _graph.AllocateOutput("logits", [r, width2, Vocab]);
        Forward(ids2, fullMask, positions2, [r, width2], forked, logits2, present);
        DecoderGraph.Free(forked);
        return (present, fullMask, width, logits2);
    }

    /// <summary>One forward pass over token rows with no cache before them (left-padded, positions from 0): their cache, mask, width and logits.</summary>
    private (OrtValue[] Past, long[] Mask, int Width, OrtValue Logits) FreshPass(IReadOnlyList<int[]> rows)
    {
        var layers = _pastNames.Length;
        var (ids, mask, positions, width) = KvCache.LeftPadded(rows, new int[rows.Count], Tokenizer.PadId);
        var empty = _graph.AllocateCache(layers, [rows.Count, KvHeads, 0, HeadDim]);
        var past = _graph.AllocateCache(layers, [rows.Count, KvHeads, width, HeadDim]);
        var logits = _graph.AllocateOutput("logits", [rows.Count, width, Vocab]);
        Forward(ids, mask, positions, [rows.Count, width], empty, logits, past);
        DecoderGraph.Free(empty);
        return (past, mask, width, logits);
    }

    /// <summary>Whether <paramref name="prompt"/> already fills the model's context (nothing can be generated after it).</summary>
    internal bool FillsContext(int[] prompt) => prompt.Length >= _context;

    internal string? Validate(GenerationRequest request, out int[] prompt)
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
            prompt = request.PromptIds is { } ids ? [.. ids] : EncodePrompt(request.Prompt);
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        if (prompt.Length == 0)
        {
            return "the prompt is empty";
        }

        return FillsContext(prompt) ? $"the prompt is {prompt.Length} tokens; the model's context is {_context}" : null;
    }

    /// <summary>One forward pass producing logits (and the new cache in <paramref name="present"/>).</summary>
    internal void Forward(long[] ids, long[] mask, long[] positions, long[] shape, OrtValue[] past, OrtValue logits, OrtValue[] present) =>
        _graph.Run(ids, mask, positions, shape, past, "logits", logits, present);

    public void Dispose() => _graph.Dispose();
}
