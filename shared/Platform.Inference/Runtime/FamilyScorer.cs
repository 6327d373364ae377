using Microsoft.ML.OnnxRuntime;
using Platform.Contracts;
using Platform.Inference.Models;
using Platform.Inference.Verifiers;
using Platform.Reasoning.Batching;

namespace Platform.Inference.Runtime;

/// <summary>
/// Scoring with a public reward-model family (<see cref="VerifierFamily"/>): every solution's input is
/// built as the family's model card builds it (<see cref="FamilyInputs"/>), the inputs run as
/// passes right-padded with the pad id and batched by length with bounded padding (a token-classification
/// export has no cache: whole inputs; a causal LM's solutions of one problem share the pass over their
/// common prefix, <see cref="SharedPass"/>), and each step's score is read
/// at its position: softmax(logits)[1] (qwen-prm), P(good) among {good, bad} (math-shepherd,
/// chat-judge), the head's value (value-head), or the pooled logit (outcome), through the sigmoid where
/// the family says so.
/// </summary>
internal sealed class FamilyScorer
{
    private const int MaxRows = 64;
    private const int MinRows = 4;
    private const double MaxPadding = 0.1;
    private const long MaxOutputBytes = 256L << 20; // a causal LM's logits are rows x width x vocabulary floats
    private readonly ModelDirectory _model;
    private readonly DecoderGraph _graph;
    private readonly VerifierFamily _family;
    private readonly (int Good, int Bad) _candidates;

    public FamilyScorer(ModelDirectory model, DecoderGraph graph, VerifierFamily family)
    {
        _model = model;
        _graph = graph;
        _family = family;
        if (!graph.Outputs.TryGetValue(family.OutputName, out var output))
        {
            throw new InvalidDataException($"{model.OnnxPath} has no output '{family.OutputName}', which the {family.Family} family reads (outputs: {string.Join(", ", graph.Outputs.Keys)}; verifier.json's \"output\" names another)");
        }

        OutputRank = output.Dimensions.Length;
        Labels = output.Dimensions[^1] > 0 ? output.Dimensions[^1] : 1;
        if (family.Family == VerifierFamily.MathShepherd)
        {
            // tokenizer.encode("+ -")[1:] as the card reads it: the pair without the BOS the tokenizer adds
            _candidates = model.Tokenizer.Encode($"{family.GoodToken} {family.BadToken}") is [var good, var bad] ? (good, bad)
                : throw new InvalidDataException($"{model.Path}: '{family.GoodToken} {family.BadToken}' is not two tokens in this tokenizer, so the candidates cannot be read as Math-Shepherd reads them");
        }
        else if (family.Family == VerifierFamily.ChatJudge)
        {
            _candidates = (model.Tokenizer.EncodeWithSpecialTokens(family.GoodToken)[^1], model.Tokenizer.EncodeWithSpecialTokens(family.BadToken)[^1]); // tokenizer.encode("+")[-1]
        }

        var expected = family.Family switch
        {
            VerifierFamily.QwenPrm => (3, "[batch, sequence, labels]"),
            VerifierFamily.MathShepherd or VerifierFamily.ChatJudge => (3, "[batch, sequence, vocabulary]"),
            VerifierFamily.Outcome => (2, "[batch, 1]"),
            _ => (OutputRank is 2 or 3 ? OutputRank : 2, "[batch, sequence] or [batch, sequence, 1]"),
        };
        if (OutputRank != expected.Item1)
        {
            throw new InvalidDataException($"{model.OnnxPath}: output '{family.OutputName}' has {OutputRank} dimensions; the {family.Family} family reads {expected.Item2}");
        }
    }

    private int OutputRank { get; }

    /// <summary>A causal LM with a cache interface: the solutions of one problem share their common prefix's pass.</summary>
    private bool SharesPrefixes => _graph.PastNames.Count > 0 && _family.Family != VerifierFamily.Outcome;

    private int Labels { get; }

    public IReadOnlyList<StepScores> Score(IReadOnlyList<ScoreRequest> requests, Func<int, int, double> flops, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var context = _model.Manifest.Architecture.Context;
        var inputs = new VerifierInput?[requests.Count];
        var errors = new string?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                var input = FamilyInputs.Build(_family, _model, requests[i].Problem, requests[i].Solution, requests[i].StepDelimiter ?? _model.Recipe.StepDelimiter);
                inputs[i] = input;
                errors[i] = input.Ids.Length > context ? $"the verifier's input is {input.Ids.Length} tokens; its context is {context}" : null;
            }
            catch (ArgumentException e)
            {
                errors[i] = e.Message;
            }
        }

        var scores = new double[requests.Count][];
        var cost = new double[requests.Count];
        var problems = requests.Select(r => r.Problem).ToArray();
        var valid = Enumerable.Range(0, requests.Count).Where(i => errors[i] is null).OrderBy(i => inputs[i]!.Ids.Length).ToArray();
        var rowsCap = RowsCap(valid.Length == 0 ? 1 : inputs[valid[^1]]!.Ids.Length);
        foreach (var chunk in PaddingChunks.Split(valid, i => inputs[i]!.Ids.Length, rowsCap, MaxPadding, Math.Min(MinRows, rowsCap)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (SharesPrefixes && chunk.DistinctBy(i => problems[i]).Count() < chunk.Length && SharedPass(chunk, inputs, problems, scores, cost, flops))
            {
                continue;
            }

            Pass(chunk, inputs, scores);
            foreach (var i in chunk)
            {
                cost[i] = flops(0, inputs[i]!.Ids.Length);
            }
        }

        var total = cost.Sum();
        var wall = clock.Elapsed.TotalMilliseconds;
        return [.. Enumerable.Range(0, requests.Count).Select(i => errors[i] is { } error
            ? new StepScores([], new ComputeUsage(), error)
            : new StepScores(scores[i], new ComputeUsage { ScoredTokens = inputs[i]!.Ids.Length, Flops = cost[i], DeviceMilliseconds = total > 0 ? wall * cost[i] / total : 0 }))];
    }

    /// <summary>Rows per pass: at most <see cref="MaxRows"/>, and few enough that the output of the longest input stays within <see cref="MaxOutputBytes"/>.</summary>
    private int RowsCap(int width)
    {
        var perRow = (long)width * (OutputRank == 3 ? Labels : 1) * 4;
        return (int)Math.Clamp(MaxOutputBytes / Math.Max(1, perRow), 1, MaxRows);
    }

    private void Pass(int[] chunk, VerifierInput?[] inputs, double[][] scores)
    {
        var rows = chunk.Length;
        var width = chunk.Max(i => inputs[i]!.Ids.Length);
        var (ids, mask, positions) = KvCache.RightPadded([.. chunk.Select(i => (ReadOnlyMemory<int>)inputs[i]!.Ids)], width, _model.Tokenizer.PadId);

        var a = _model.Manifest.Architecture;
        var past = _graph.AllocateCache(_graph.PastNames.Count, [rows, a.KvHeads > 0 ? a.KvHeads : a.Heads, 0, a.HeadDim]);
        long[] shape = OutputRank == 2 && _family.Family == VerifierFamily.Outcome ? [rows, Labels] : OutputRank == 2 ? [rows, width] : [rows, width, Labels];
        using var output = _graph.AllocateOutput(_family.OutputName, shape);
        try
        {
            _graph.Run(ids, mask, positions, [rows, width], past, _family.OutputName, output, []);
        }
        finally
        {
            DecoderGraph.Free(past);
        }

        var view = ElementTypes.Floats(output);
        var buffer = new float[Labels];
        for (var r = 0; r < rows; r++)
        {
            var reads = inputs[chunk[r]]!.ReadAt;
            var row = scores[chunk[r]] = new double[reads.Length];
            for (var s = 0; s < reads.Length; s++)
            {
                row[s] = Read(view, r, width, reads[s], buffer);
            }
        }
    }

    /// <summary>
    /// A chunk whose solutions share problems, on a graph with a cache: the tokens every input of a problem
    /// starts with (less one) run once per problem (stage 1, its cache kept), then each input's remainder
    /// runs on its problem's cache with its own positions (stage 2). The same tokens and positions as a
    /// full pass; the prefix's FLOPs are paid once and shared out.
    /// </summary>
    /// <returns>False, having run nothing, when some problem's inputs share no token (a full pass then scores the chunk).</returns>
    private bool SharedPass(int[] chunk, VerifierInput?[] inputs, string[] problems, double[][] scores, double[] cost, Func<int, int, double> flops)
    {
        var groups = chunk.GroupBy(i => problems[i], StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        var prefix = groups.Select(g => g.Min(i => Math.Min(CommonPrefix(inputs[g[0]]!.Ids, inputs[i]!.Ids), inputs[i]!.Ids.Length - 1))).ToArray();
        if (prefix.Min() < 1)
        {
            return false; // a fully masked prefix row would leave no number in its cache cells
        }

        var (u, p, pad) = (groups.Length, prefix.Max(), _model.Tokenizer.PadId);
        var a = _model.Manifest.Architecture;
        var (heads, headDim, layers) = (a.KvHeads > 0 ? a.KvHeads : a.Heads, a.HeadDim, _graph.PastNames.Count);

        // Stage 1: one row per problem, its prefix right-padded to the longest.
        var (ids1, mask1, positions1) = KvCache.RightPadded([.. groups.Select((g, k) => inputs[g[0]]!.Ids.AsMemory(0, prefix[k]))], p, pad);
        for (var g = 0; g < u; g++)
        {
            foreach (var i in groups[g])
            {
                cost[i] = flops(0, prefix[g]) / groups[g].Length + flops(prefix[g], inputs[i]!.Ids.Length);
            }
        }

        var groupOf = groups.SelectMany((g, k) => g.Select(i => (i, k))).ToDictionary(x => x.i, x => x.k);
        var rowGroup = chunk.Select(i => groupOf[i]).ToArray();
        var empty = _graph.AllocateCache(layers, [u, heads, 0, headDim]);
        var present = _graph.AllocateCache(layers, [u, heads, p, headDim]);
        using var first = _graph.AllocateOutput(_family.OutputName, OutputRank == 2 ? [u, p] : [u, p, Labels]);
        OrtValue[] past;
        long[] pastMask;
        try
        {
            _graph.Run(ids1, mask1, positions1, [u, p], empty, _family.OutputName, first, present);
            (past, pastMask) = new KvCache(_graph, heads, headDim).Gather(present, mask1, p, rowGroup, trim: 0);
        }
        finally
        {
            DecoderGraph.Free(empty);
            DecoderGraph.Free(present);
        }

        // Stage 2: every input's remainder on its problem's cache, positions continuing after its prefix.
        var rows = chunk.Length;
        var width = chunk.Select((i, r) => inputs[i]!.Ids.Length - prefix[rowGroup[r]]).Max();
        var ids2 = new long[rows * width];
        var mask2 = new long[rows * (p + width)];
        var positions2 = new long[rows * width];
        for (var r = 0; r < rows; r++)
        {
            var (row, start) = (inputs[chunk[r]]!.Ids, prefix[rowGroup[r]]);
            Array.Copy(pastMask, r * p, mask2, r * (p + width), p);
            for (var j = 0; j < width; j++)
            {
                var real = start + j < row.Length;
                (ids2[r * width + j], positions2[r * width + j]) = real ? (row[start + j], (long)(start + j)) : (pad, 0L);
                mask2[r * (p + width) + p + j] = real ? 1 : 0;
            }
        }

        using var rest = _graph.AllocateOutput(_family.OutputName, OutputRank == 2 ? [rows, width] : [rows, width, Labels]);
        try
        {
            _graph.Run(ids2, mask2, positions2, [rows, width], past, _family.OutputName, rest, []);
        }
        finally
        {
            DecoderGraph.Free(past);
        }

        var restView = ElementTypes.Floats(rest);
        var firstView = ElementTypes.Floats(first);
        var buffer = new float[Labels];
        for (var r = 0; r < rows; r++)
        {
            var start = prefix[rowGroup[r]];
            var reads = inputs[chunk[r]]!.ReadAt;
            var row = scores[chunk[r]] = new double[reads.Length];
            for (var s = 0; s < reads.Length; s++)
            {
                row[s] = reads[s] >= start ? Read(restView, r, width, reads[s] - start, buffer) : Read(firstView, rowGroup[r], p, reads[s], buffer);
            }
        }

        return true;
    }

    private static int CommonPrefix(int[] a, int[] b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
        {
            n++;
        }

        return n;
    }

    /// <summary>One step's score from the output at (<paramref name="row"/>, <paramref name="at"/>) of a [rows, width, ...] output.</summary>
    private double Read(FloatView output, int row, int width, int at, float[] buffer)
    {
        var start = ((long)row * width + at) * Labels;
        switch (_family.Family)
        {
            case VerifierFamily.Outcome:
                return Transform(output[(long)row * Labels]);
            case VerifierFamily.ValueHead:
                return Transform(output[(long)row * width + at]);
            case VerifierFamily.QwenPrm:
                return Math.Exp(PrmScorer.LogSoftmaxAt(output.Slice(start, Labels, buffer), 1));
            default:
                return 1.0 / (1.0 + Math.Exp((double)output[start + _candidates.Bad] - output[start + _candidates.Good])); // softmax over the two candidates, the good one's share
        }
    }

    private double Transform(float value) => _family.Transform == "sigmoid" ? 1.0 / (1.0 + Math.Exp(-(double)value)) : value;
}
