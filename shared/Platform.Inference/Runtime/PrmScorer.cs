using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Reasoning.Batching;

namespace Platform.Inference.Runtime;

/// <summary>
/// Batched process-reward scoring: every solution is one row. The project's own verifiers read a step's
/// score at the last token of its step delimiter (or at the last token of an unfinished final step); a
/// public reward-model family (<see cref="Verifiers.VerifierFamily"/>) is fed and read as its card says (<see cref="FamilyScorer"/>).
/// </summary>
public sealed class PrmScorer : IDisposable
{
    private const int MaxRows = 64;
    private const int MinRows = 8;
    private const double MaxPadding = 0.1;
    private readonly DecoderGraph _graph;
    private readonly string _output = "";
    private readonly bool _sigmoid;
    private readonly bool _generative;
    private readonly bool _product;
    private readonly FamilyScorer? _family;
    private readonly PrefixCache? _prefixes;

    private PrmScorer(ModelDirectory model, DecoderGraph graph, Verifiers.VerifierFamily family, InferenceOptions options)
    {
        Model = model;
        _graph = graph;
        Family = family.Family;
        if (family.Family != Verifiers.VerifierFamily.Own)
        {
            _family = new FamilyScorer(model, graph, family);
            return;
        }

        var verifier = model.Manifest.Verifier ?? new VerifierInfo();
        _output = verifier.Output;
        _sigmoid = verifier.Transform == "sigmoid";
        _generative = verifier.ReadAt == "step_likelihood";
        _product = verifier.Combine == "product";
        if (!_generative && verifier.ReadAt != "step_delimiter")
        {
            throw new InvalidDataException($"{Path.Combine(model.Path, ModelManifest.FileName)}: verifier.read_at must be step_delimiter or step_likelihood (was \"{verifier.ReadAt}\")");
        }

        var manifestPath = Path.Combine(model.Path, ModelManifest.FileName);
        foreach (var input in new[] { "input_ids", "attention_mask" })
        {
            if (!graph.Inputs.ContainsKey(input))
            {
                throw new InvalidDataException($"{model.OnnxPath} has no input '{input}' (a PRM takes input_ids and attention_mask)");
            }
        }

        if (!graph.Outputs.ContainsKey(_output))
        {
            throw new InvalidDataException($"{model.OnnxPath} has no output '{_output}' named by verifier.output in {manifestPath}");
        }

        if (_generative && graph.PastNames.Count > 0)
        {
            var a = model.Manifest.Architecture;
            _prefixes = new PrefixCache("verifier", options.PrefixCacheMegabytes * (1L << 20), graph.PastNames.Count, a.KvHeads > 0 ? a.KvHeads : a.Heads, a.HeadDim * graph.CacheElementSize);
        }
    }

    /// <summary>
    /// Scored sequences kept across requests (their KV cache and each token's log-probability), for a
    /// generative verifier with a cache: a partial solution scored last round is not read again, only its
    /// new step. Null for a graph without a cache or a score head.
    /// </summary>
    internal PrefixCache? Prefixes => _prefixes;

    public ModelDirectory Model { get; }

    /// <summary>The verifier family (qwen-prm, math-shepherd, chat-judge, value-head, outcome, own).</summary>
    public string Family { get; }

    public static PrmScorer Open(ModelDirectory model, InferenceOptions options)
    {
        var family = Verifiers.VerifierFamily.Of(model);
        var graph = DecoderGraph.Open(model.OnnxPath, options);
        try
        {
            return new PrmScorer(model, graph, family, options);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>Token ids of prompt + solution, the index of the token that closes each step, and where the solution starts.</summary>
    public (int[] Ids, int[] StepEnds, int SolutionStart) Encode(ScoreRequest request)
    {
        var tokenizer = Model.Tokenizer;
        var prompt = Model.EncodePrompt(Model.Prompt(request.Problem));
        var solution = tokenizer.Encode(request.Solution);
        int[] ids = [.. prompt, .. solution];
        var ends = StepBoundaries.StepEnds(tokenizer, solution, request.StepDelimiter ?? Model.Recipe.StepDelimiter).Select(e => prompt.Length + e).ToArray();
        return (ids, ends, prompt.Length);
    }

    /// <summary>Step scores of each solution, in order; identical solutions are scored once (<see cref="RepeatedSolutions"/>).</summary>
    public IReadOnlyList<StepScores> Score(IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken = default) =>
        RepeatedSolutions.ScoreOnce(requests, distinct => _family is not null ? _family.Score(distinct, Flops, cancellationToken) : ScoreOwn(distinct, cancellationToken));

    private IReadOnlyList<StepScores> ScoreOwn(IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken)
    {

        var clock = Stopwatch.StartNew();
        var manifest = Model.Manifest;
        var context = manifest.Architecture.Context;
        var encoded = new (int[] Ids, int[] StepEnds, int SolutionStart)[requests.Count];
        var errors = new string?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                encoded[i] = Encode(requests[i]);
                if (encoded[i].Ids.Length > context)
                {
                    errors[i] = $"prompt and solution are {encoded[i].Ids.Length} tokens; the verifier's context is {context}";
                }
            }
            catch (ArgumentException e)
            {
                errors[i] = e.Message;
            }
        }

        var scores = new double[requests.Count][];
        var flops = new double[requests.Count];
        var cached = new long[requests.Count];
        var valid = Enumerable.Range(0, requests.Count).Where(i => errors[i] is null).ToList();
        // Shortest first, cut into chunks that pad little (padding is work too: solutions of one prompt
        // differ in length as much as solutions of different prompts); with a cache, solutions of one
        // prompt in a chunk still share their prompt's pass, and what earlier requests read is not read again.
        var order = valid.OrderBy(i => encoded[i].Ids.Length).ThenBy(i => requests[i].Problem, StringComparer.Ordinal).ToArray();
        foreach (var chunk in PaddingChunks.Split(order, i => encoded[i].Ids.Length, MaxRows, MaxPadding, MinRows))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_prefixes is not null)
            {
                CachedLikelihoods(chunk, encoded, scores, flops, cached);
                continue;
            }

            var width = chunk.Max(i => encoded[i].Ids.Length);
            var ids = new long[chunk.Length * width];
            var mask = new long[chunk.Length * width];
            for (var r = 0; r < chunk.Length; r++)
            {
                var row = encoded[chunk[r]].Ids;
                for (var j = 0; j < width; j++)
                {
                    ids[r * width + j] = j < row.Length ? row[j] : Model.Tokenizer.PadId;
                    mask[r * width + j] = j < row.Length ? 1 : 0;
                }

                flops[chunk[r]] += Flops(0, row.Length);
            }

            if (_generative)
            {
                Likelihoods(chunk, encoded, width, ids, mask, scores);
                continue;
            }

            using var output = DecoderGraph.Allocate([chunk.Length, width]);
            var columns = new long[ids.Length];
            for (var k = 0; k < columns.Length; k++)
            {
                columns[k] = k % width; // rows are right-padded: a token's position is its column
            }

            _graph.Run(ids, mask, columns, [chunk.Length, width], [], _output, output, []);
            var values = output.GetTensorDataAsSpan<float>();
            for (var r = 0; r < chunk.Length; r++)
            {
                var ends = encoded[chunk[r]].StepEnds;
                var row = new double[ends.Length];
                for (var s = 0; s < ends.Length; s++)
                {
                    double v = values[r * width + ends[s]];
                    row[s] = _sigmoid ? 1.0 / (1.0 + Math.Exp(-v)) : v;
                }

                scores[chunk[r]] = row;
            }
        }

        _prefixes?.Trim();
        var totalFlops = flops.Sum();
        var wall = clock.Elapsed.TotalMilliseconds;
        return Enumerable.Range(0, requests.Count).Select(i => errors[i] is { } error
            ? new StepScores([], new ComputeUsage(), error)
            : new StepScores(scores[i], new ComputeUsage
            {
                ScoredTokens = encoded[i].Ids.Length,
                CachedScoredTokens = cached[i],
                Flops = flops[i],
                DeviceMilliseconds = totalFlops > 0 ? wall * flops[i] / totalFlops : 0,
            })).ToList();
    }

    /// <summary>
    /// Generative scoring of one chunk: a full-sequence pass of the decoder (an empty cache), the
    /// log-probability of every solution token given what precedes it, summed per step; a step's score
    /// is the lowest step probability up to it.
    /// </summary>
    private void Likelihoods(int[] chunk, (int[] Ids, int[] StepEnds, int SolutionStart)[] encoded, int width, long[] ids, long[] mask, double[][] scores)
    {
        var rows = chunk.Length;
        var a = Model.Manifest.Architecture;
        var vocab = a.VocabSize;
        var positions = new long[rows * width];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < width; j++)
            {
                positions[r * width + j] = j;
            }
        }

        var empty = _graph.PastNames.Select(_ => Tensor([rows, a.KvHeads > 0 ? a.KvHeads : a.Heads, 0, a.HeadDim])).ToArray();
        using var logitsValue = Tensor([rows, width, vocab]);
        try
        {
            Run(ids, mask, positions, rows, width, empty, logitsValue, []);
            var logits = logitsValue.GetTensorDataAsSpan<float>();
            for (var r = 0; r < rows; r++)
            {
                var (row, ends, start) = encoded[chunk[r]];
                var first = Math.Max(1, start);
                var logProbabilities = new double[row.Length];
                for (var p = first; p < row.Length; p++)
                {
                    logProbabilities[p] = LogSoftmaxAt(logits.Slice((r * width + p - 1) * vocab, vocab), row[p]);
                }

                scores[chunk[r]] = StepLikelihoods(ends, first, logProbabilities);
            }
        }
        finally
        {
            foreach (var v in empty)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>
    /// A solution's step scores from the log-probability of each of its tokens given what precedes it
    /// (<paramref name="logProbabilities"/>[p] for token p, read from <paramref name="first"/> on): each
    /// step's probability is the product of its tokens'; a step's score is the lowest step probability up
    /// to it (or their product).
    /// </summary>
    private double[] StepLikelihoods(int[] ends, int first, ReadOnlySpan<double> logProbabilities)
    {
        var result = new double[ends.Length];
        var running = 1.0;
        var token = first;
        for (var s = 0; s < ends.Length; s++)
        {
            double logProbability = 0;
            for (; token <= ends[s]; token++)
            {
                logProbability += logProbabilities[token];
            }

            running = _product ? running * Math.Exp(logProbability) : Math.Min(running, Math.Exp(logProbability));
            result[s] = running;
        }

        return result;
    }

    /// <summary>FLOPs of the forward pass over positions <paramref name="from"/>+1 .. <paramref name="to"/> of a sequence.</summary>
    private double Flops(int from, int to)
    {
        double f = 0;
        for (var j = from + 1; j <= to; j++)
        {
            f += Model.Manifest.FlopsPerToken + (double)Model.Manifest.AttentionFlopsPerPosition * j;
        }

        return f;
    }

    /// <summary>
    /// Generative scoring of a chunk with the verifier's cache: the prompts no row finds in the prefix
    /// tree are read first, once each (their FLOPs shared out among their solutions), then every solution
    /// is read on top of the longest prefix the tree holds for it (a partial solution scored in an earlier
    /// round: only its new step is computed), and kept for the next round. Scores are those of a
    /// full-sequence pass: the same tokens at the same positions, only the work already done is not repeated.
    /// </summary>
    private void CachedLikelihoods(int[] chunk, (int[] Ids, int[] StepEnds, int SolutionStart)[] encoded, double[][] scores, double[] flops, long[] cached)
    {
        var keepFrom = _prefixes!.Tick(); // the prompts read first are looked up again under their solutions: this chunk's inserts keep them
        var prompts = chunk.GroupBy(i => encoded[i].SolutionStart == 0 ? "" : string.Join(',', encoded[i].Ids.Take(encoded[i].SolutionStart)), StringComparer.Ordinal)
            .Where(g => g.Key.Length > 0 && g.Count() > 1 && g.All(i => _prefixes!.Holds(encoded[i].Ids, encoded[i].SolutionStart) < encoded[i].SolutionStart))
            .Select(g => g.ToArray()).ToList();
        if (prompts.Count > 0)
        {
            var (_, promptFlops, _) = Extend([.. prompts.Select(g => encoded[g[0]].Ids[..encoded[g[0]].SolutionStart])], keepFrom);
            for (var g = 0; g < prompts.Count; g++)
            {
                foreach (var i in prompts[g])
                {
                    flops[i] += promptFlops[g] / prompts[g].Length;
                }
            }
        }

        // A prompt read just now counts as computed for the first of its solutions and as cached for the others.
        var readFirst = prompts.Select(g => g[0]).ToHashSet();
        var (values, own, taken) = Extend([.. chunk.Select(i => encoded[i].Ids)], keepFrom);
        for (var r = 0; r < chunk.Length; r++)
        {
            var (_, ends, start) = encoded[chunk[r]];
            flops[chunk[r]] += own[r];
            cached[chunk[r]] += Math.Max(0, taken[r] - (readFirst.Contains(chunk[r]) ? start : 0));
            scores[chunk[r]] = StepLikelihoods(ends, Math.Max(1, start), values[r]);
        }
    }

    /// <summary>
    /// Reads token sequences on top of the longest prefix of each that the tree holds, and keeps them: each
    /// token's log-probability given what precedes it (from the tree where held), the FLOPs computed, and
    /// the positions taken from the tree. The position before the first new token is computed again (its
    /// logits predict that token); a sequence held whole needs no pass.
    /// </summary>
    private (double[][] LogProbabilities, double[] Flops, long[] Taken) Extend(IReadOnlyList<int[]> sequences, long keepFrom)
    {
        var tree = _prefixes!;
        var n = sequences.Count;
        var values = new double[n][];
        var cost = new double[n];
        var taken = new long[n];
        var keep = new List<int>();
        var matches = new PrefixCache.Match[n];
        for (var i = 0; i < n; i++)
        {
            var ids = sequences[i];
            var held = tree.Find(ids, ids.Length);
            values[i] = new double[ids.Length];
            PrefixCache.CopyValues(held, values[i]);
            matches[i] = held.Length == ids.Length ? held : held.Take(Math.Max(0, held.Length - 1));
            taken[i] = matches[i].Length;
            if (held.Length < ids.Length)
            {
                keep.Add(i);
            }
        }

        if (keep.Count == 0)
        {
            return (values, cost, taken);
        }

        var a = Model.Manifest.Architecture;
        var (vocab, heads, headDim) = (a.VocabSize, a.KvHeads > 0 ? a.KvHeads : a.Heads, a.HeadDim);
        var rows = keep.Count;
        var width1 = keep.Max(i => matches[i].Length);
        var past = _graph.AllocateCache(_graph.PastNames.Count, [rows, heads, width1, headDim]);
        foreach (var tensor in past)
        {
            tensor.GetTensorMutableRawData().Clear(); // padding must hold numbers: masked scores still multiply the values
        }

        var (ids2, mask2, positions2, width2) = KvCache.LeftPadded([.. keep.Select(i => sequences[i][matches[i].Length..])],
            [.. keep.Select(i => matches[i].Length)], Model.Tokenizer.PadId);
        var width = width1 + width2;
        var mask = new long[rows * width];
        for (var r = 0; r < rows; r++)
        {
            var m = matches[keep[r]];
            tree.CopyInto(m, past, r, width1);
            mask.AsSpan(r * width + width1 - m.Length, m.Length).Fill(1);
            Array.Copy(mask2, r * width2, mask, r * width + width1, width2);
        }

        var present = _graph.AllocateCache(_graph.PastNames.Count, [rows, heads, width, headDim]);
        using var logitsValue = Tensor([rows, width2, vocab]);
        try
        {
            _graph.Run(ids2, mask, positions2, [rows, width2], past, _output, logitsValue, present);
            var logits = logitsValue.GetTensorDataAsSpan<float>();
            for (var r = 0; r < rows; r++)
            {
                var i = keep[r];
                var (ids, from) = (sequences[i], matches[i].Length);
                var pad = width2 - (ids.Length - from);
                for (var p = from + 1; p < ids.Length; p++)
                {
                    values[i][p] = LogSoftmaxAt(logits.Slice((r * width2 + pad + p - 1 - from) * vocab, vocab), ids[p]);
                }

                cost[i] = Flops(from, ids.Length);
                tree.Insert(ids, present, r, width, DecoderSession.Columns(mask, r, width), values[i], keepFrom);
            }
        }
        finally
        {
            DecoderGraph.Free(past);
            DecoderGraph.Free(present);
        }

        return (values, cost, taken);
    }

    private static OrtValue Tensor(long[] shape) => DecoderGraph.Allocate(shape);

    /// <summary>A pass of the generative verifier's decoder: its logits, and its new cache when <paramref name="present"/> asks for one.</summary>
    private void Run(long[] ids, long[] mask, long[] positions, int rows, int width, OrtValue[] past, OrtValue logits, OrtValue[] present) =>
        _graph.Run(ids, mask, positions, [rows, width], past, _output, logits, present);

    internal static double LogSoftmaxAt(ReadOnlySpan<float> logits, int index)
    {
        var max = float.NegativeInfinity;
        foreach (var v in logits)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (var v in logits)
        {
            sum += Math.Exp(v - max);
        }

        return logits[index] - max - Math.Log(sum);
    }

    public void Dispose()
    {
        _graph.Dispose();
    }
}
