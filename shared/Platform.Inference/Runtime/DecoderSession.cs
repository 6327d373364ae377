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

    private DecoderSession(ModelDirectory model, DecoderGraph graph, InferenceOptions options)
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
        Prefixes = new PrefixCache("generator", options.PrefixCacheMegabytes * (1L << 20), _pastNames.Length, KvHeads, HeadDim * graph.CacheElementSize);
        Stopping = new StoppingRules(model.Tokenizer, _context);
    }

    public ModelDirectory Model { get; }
    public ITokenizer Tokenizer => Model.Tokenizer;

    internal DecoderGraph Graph => _graph;
    internal KvCache Cache { get; }

    /// <summary>KV caches of prompts and search prefixes kept across admissions, shared by every batch of this session.</summary>
    internal PrefixCache Prefixes { get; }
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
            return new DecoderSession(model, graph, options);
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
    /// its mask, and the logits of the last pass (its last column is each prompt's last token). Each
    /// prompt's longest prefix held in the <see cref="Prefixes"/> tree (from earlier requests: a search
    /// prefix's previous round, a prompt other problems share) is copied, not computed; entries naming the
    /// same <see cref="GenerationRequest.SharedPrefix"/> that is not held yet have it computed once first
    /// (its FLOPs shared out among them). Then only the remainders are computed, on top of those caches,
    /// and every prompt is kept in the tree. <paramref name="prefill"/> gets each entry's computed FLOPs.
    /// </summary>
    internal (OrtValue[] Past, long[] Mask, int Width, OrtValue Logits) Prefill(List<Entry> entries, double[] prefill)
    {
        var r = entries.Count;
        var keepFrom = Prefixes.Tick(); // what this admission finds or stores is not evicted by its own inserts (the shared heads are looked up again)
        var before = entries.Select(e => Prefixes.Find(e.Prompt, e.Prompt.Length - 1)).ToArray();
        var computedHead = Enumerable.Repeat(-1, r).ToArray(); // in a group whose shared prefix is computed now: the prefix tokens it computed (the first member) or 0
        ComputeSharedPrefixes(entries, before, computedHead, prefill, keepFrom);
        var matches = entries.Select((e, k) => computedHead[k] >= 0 ? Prefixes.Find(e.Prompt, e.Prompt.Length - 1, count: false) : before[k]).ToArray();
        for (var k = 0; k < r; k++)
        {
            var prompt = entries[k].Prompt;
            prefill[k] += PrefixFlops(prompt.Length) - PrefixFlops(matches[k].Length);
            entries[k].Flops += prefill[k];
            entries[k].CachedShared += matches[k].Length - Math.Max(0, computedHead[k]);
        }

        var result = matches.All(m => m.Length == 0) ? FreshPass([.. entries.Select(e => e.Prompt)]) : OnCachedPrefixes(entries, matches);
        Keep(entries, result.Past, result.Mask, result.Width, keepFrom);
        return result;
    }

    /// <summary>
    /// Groups of two or more entries naming the same shared prefix that the tree does not hold for them
    /// yet: each prefix computed once (one pass for all groups) and put in the tree; its FLOPs shared out
    /// among its entries, the first of which counts its tokens as computed (the others as cached).
    /// </summary>
    private void ComputeSharedPrefixes(List<Entry> entries, PrefixCache.Match[] held, int[] computedHead, double[] prefill, long keepFrom)
    {
        var groups = new List<(int[] Head, List<int> Members)>();
        foreach (var named in Enumerable.Range(0, entries.Count).Where(k => entries[k].Request.SharedPrefix.Length > 0)
            .GroupBy(k => entries[k].Request.SharedPrefix, StringComparer.Ordinal))
        {
            var head = EncodePrompt(named.Key);
            var members = named.Where(k => entries[k].Prompt.Length > head.Length && entries[k].Prompt.AsSpan(0, head.Length).SequenceEqual(head)).ToList();
            if (members.Count > 1 && members.All(k => held[k].Length < head.Length))
            {
                groups.Add((head, members));
            }
        }

        if (groups.Count == 0)
        {
            return;
        }

        var (past, mask, width, logits) = FreshPass([.. groups.Select(g => g.Head)]);
        logits.Dispose();
        for (var g = 0; g < groups.Count; g++)
        {
            var (head, members) = groups[g];
            Prefixes.Insert(head, past, g, width, Columns(mask, g, width), keepFrom: keepFrom);
            foreach (var k in members)
            {
                computedHead[k] = k == members[0] ? head.Length : 0;
                prefill[k] += PrefixFlops(head.Length) / members.Count;
            }
        }

        DecoderGraph.Free(past);
    }

    /// <summary>Every entry's prompt remainder computed on top of its cached prefix (copied from the tree, left-padded).</summary>
    private (OrtValue[] Past, long[] Mask, int Width, OrtValue Logits) OnCachedPrefixes(List<Entry> entries, PrefixCache.Match[] matches)
    {
        var r = entries.Count;
        var width1 = matches.Max(m => m.Length);
        var cached = _graph.AllocateCache(_pastNames.Length, [r, KvHeads, width1, HeadDim]);
        foreach (var tensor in cached)
        {
            tensor.GetTensorMutableRawData().Clear(); // padding must hold numbers: masked scores still multiply the values
        }

        var (ids2, mask2, positions2, width2) = KvCache.LeftPadded([.. entries.Select((e, k) => e.Prompt[matches[k].Length..])],
            [.. matches.Select(m => m.Length)], Tokenizer.PadId);
        var width = width1 + width2;
        var fullMask = new long[r * width];
        for (var k = 0; k < r; k++)
        {
            Prefixes.CopyInto(matches[k], cached, k, width1);
            fullMask.AsSpan(k * width + width1 - matches[k].Length, matches[k].Length).Fill(1);
            Array.Copy(mask2, k * width2, fullMask, k * width + width1, width2);
        }

        var present = _graph.AllocateCache(_pastNames.Length, [r, KvHeads, width, HeadDim]);
        var logits = _graph.AllocateOutput("logits", [r, width2, Vocab]);
        Forward(ids2, fullMask, positions2, [r, width2], cached, logits, present);
        DecoderGraph.Free(cached);
        return (present, fullMask, width, logits);
    }

    /// <summary>Puts every entry's prompt cache in the tree, then evicts what is still over its capacity.</summary>
    private void Keep(List<Entry> entries, OrtValue[] past, long[] mask, int width, long keepFrom)
    {
        for (var k = 0; k < entries.Count && Prefixes.CapacityBytes > 0; k++)
        {
            Prefixes.Insert(entries[k].Prompt, past, k, width, Columns(mask, k, width), keepFrom: keepFrom);
        }

        Prefixes.Trim();
    }

    /// <summary>The cache columns of row <paramref name="row"/> that hold tokens (not masked), in order: column of position p.</summary>
    internal static int[] Columns(long[] mask, int row, int length)
    {
        var columns = new List<int>(length);
        for (var c = 0; c < length; c++)
        {
            if (mask[row * length + c] != 0)
            {
                columns.Add(c);
            }
        }

        return [.. columns];
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

        if (request.RolloutSteps < 0 || (request.RolloutSteps > 0 && (request.StopStrings.Count == 0 || request.BudgetForcing is not null)))
        {
            return $"rollout steps must be >= 0, and a rollout needs stop strings and no budget forcing (was {request.RolloutSteps})";
        }

        if (request.ConfidenceStop is { } stop && (stop.Window < 1 || request.Sampling.TopLogProbs < 1 || double.IsNaN(stop.Threshold)))
        {
            return $"a confidence stop needs a window of at least 1 token, a threshold and top log-probabilities (window {stop.Window}, top log-probabilities {request.Sampling.TopLogProbs})";
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
