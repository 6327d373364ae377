using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Platform.Inference.Models;
using Platform.Reasoning.Batching;

namespace Platform.Inference.Runtime;

/// <summary>
/// A (partial) solution for a verifier: the problem, the solution text, and the delimiter its steps were
/// written with (the generator's recipe; null: the verifier's own).
/// </summary>
public sealed record ScoreRequest(string Problem, string Solution, string? StepDelimiter = null);

/// <summary>The PRM's score of each step of one solution.</summary>
public sealed record StepScores(IReadOnlyList<double> Scores, InferenceUsage Usage, string? Error = null);

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

    private PrmScorer(ModelDirectory model, DecoderGraph graph, Verifiers.VerifierFamily family)
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
    }

    public ModelDirectory Model { get; }

    /// <summary>The verifier family (qwen-prm, math-shepherd, chat-judge, value-head, outcome, own).</summary>
    public string Family { get; }

    public static PrmScorer Open(ModelDirectory model, InferenceOptions options)
    {
        var family = Verifiers.VerifierFamily.Of(model);
        var graph = DecoderGraph.Open(model.OnnxPath, options);
        try
        {
            return new PrmScorer(model, graph, family);
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

    public IReadOnlyList<StepScores> Score(IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken = default)
    {
        if (_family is not null)
        {
            return _family.Score(requests, Flops, cancellationToken);
        }

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
        var valid = Enumerable.Range(0, requests.Count).Where(i => errors[i] is null).ToList();
        var sharePrompts = _generative && _graph.PastNames.Count > 0 && valid.All(i => encoded[i].SolutionStart >= 1);
        // Shortest first, cut into chunks that pad little (padding is work too: solutions of one prompt
        // differ in length as much as solutions of different prompts); with a cache, solutions of one
        // prompt in a chunk still share their prompt's pass.
        var order = valid.OrderBy(i => encoded[i].Ids.Length).ThenBy(i => requests[i].Problem, StringComparer.Ordinal).ToArray();
        foreach (var chunk in PaddingChunks.Split(order, i => encoded[i].Ids.Length, MaxRows, MaxPadding, MinRows))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (sharePrompts && chunk.DistinctBy(i => requests[i].Problem).Count() < chunk.Length)
            {
                SharedPromptLikelihoods(chunk, requests, encoded, scores, flops);
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

        var totalFlops = flops.Sum();
        var wall = clock.Elapsed.TotalMilliseconds;
        return Enumerable.Range(0, requests.Count).Select(i => errors[i] is { } error
            ? new StepScores([], new InferenceUsage(), error)
            : new StepScores(scores[i], new InferenceUsage
            {
                ScoredTokens = encoded[i].Ids.Length,
                Flops = flops[i],
                WallMilliseconds = totalFlops > 0 ? wall * flops[i] / totalFlops : 0,
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
                scores[chunk[r]] = StepLikelihoods(row, ends, first, logits.Slice((r * width + first - 1) * vocab, vocab),
                    logits.Slice((r * width + first) * vocab, (width - first) * vocab));
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
    /// A solution's step scores from the logits that predict its tokens: <paramref name="firstLogits"/>
    /// predicts token <paramref name="first"/>, and <paramref name="restLogits"/> holds, position after
    /// position, the logits predicting the tokens after it. Each step's probability is the product of its
    /// tokens'; a step's score is the lowest step probability up to it (or their product).
    /// </summary>
    private double[] StepLikelihoods(int[] ids, int[] ends, int first, ReadOnlySpan<float> firstLogits, ReadOnlySpan<float> restLogits)
    {
        var vocab = firstLogits.Length;
        var result = new double[ends.Length];
        var running = 1.0;
        var token = first;
        for (var s = 0; s < ends.Length; s++)
        {
            double logProbability = 0;
            for (; token <= ends[s]; token++)
            {
                var logits = token == first ? firstLogits : restLogits.Slice((token - first - 1) * vocab, vocab);
                logProbability += LogSoftmaxAt(logits, ids[token]);
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
    /// Generative scoring of a chunk whose solutions share prompts: each distinct prompt is run once
    /// (its cache and the logits of its last token kept), then every solution runs on its prompt's cache,
    /// so a prompt's FLOPs are paid once and shared out among its solutions. The scores are those of a
    /// full-sequence pass: the same tokens, the same positions, only the prompt's work is not repeated.
    /// </summary>
    private void SharedPromptLikelihoods(int[] chunk, IReadOnlyList<ScoreRequest> requests, (int[] Ids, int[] StepEnds, int SolutionStart)[] encoded,
        double[][] scores, double[] flops)
    {
        var a = Model.Manifest.Architecture;
        var (vocab, heads, headDim, pad) = (a.VocabSize, a.KvHeads > 0 ? a.KvHeads : a.Heads, a.HeadDim, Model.Tokenizer.PadId);
        var groups = chunk.GroupBy(i => requests[i].Problem, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        var groupIndex = groups.SelectMany((g, k) => g.Select(i => (i, k))).ToDictionary(x => x.i, x => x.k);
        var groupOf = chunk.Select(i => groupIndex[i]).ToArray();
        var (u, p) = (groups.Length, groups.Max(g => encoded[g[0]].SolutionStart));

        // 1. The distinct prompts, right-padded to the longest: logits and cache.
        var ids = new long[u * p];
        var mask = new long[u * p];
        var positions = new long[u * p];
        for (var g = 0; g < u; g++)
        {
            var (row, _, start) = encoded[groups[g][0]];
            for (var j = 0; j < p; j++)
            {
                (ids[g * p + j], mask[g * p + j], positions[g * p + j]) = j < start ? (row[j], 1, j) : (pad, 0, 0);
            }

            var share = Flops(0, start) / groups[g].Length;
            foreach (var i in groups[g])
            {
                flops[i] += share;
            }
        }

        var empty = _graph.PastNames.Select(_ => Tensor([u, heads, 0, headDim])).ToArray();
        var present = _graph.PastNames.Select(_ => Tensor([u, heads, p, headDim])).ToArray();
        var rows = chunk.Length;
        var width = chunk.Max(i => encoded[i].Ids.Length - encoded[i].SolutionStart);
        var past = _graph.PastNames.Select(_ => Tensor([rows, heads, p, headDim])).ToArray();
        using var promptLogits = Tensor([u, p, vocab]);
        using var solutionLogits = Tensor([rows, width, vocab]);
        try
        {
            Run(ids, mask, positions, u, p, empty, promptLogits, present);

            // 2. Every solution on its prompt's cache (gathered per row), right-padded to the longest solution.
            var solutionIds = new long[rows * width];
            var solutionMask = new long[rows * (p + width)];
            var solutionPositions = new long[rows * width];
            for (var r = 0; r < rows; r++)
            {
                var (row, _, start) = encoded[chunk[r]];
                for (var j = 0; j < p; j++)
                {
                    solutionMask[r * (p + width) + j] = j < start ? 1 : 0;
                }

                for (var j = 0; j < width; j++)
                {
                    var real = start + j < row.Length;
                    solutionIds[r * width + j] = real ? row[start + j] : pad;
                    solutionMask[r * (p + width) + p + j] = real ? 1 : 0;
                    solutionPositions[r * width + j] = real ? start + j : 0;
                }

                flops[chunk[r]] += Flops(start, row.Length);
            }

            var block = heads * p * headDim;
            for (var t = 0; t < present.Length; t++)
            {
                var from = present[t].GetTensorDataAsSpan<float>();
                var to = past[t].GetTensorMutableDataAsSpan<float>();
                for (var r = 0; r < rows; r++)
                {
                    from.Slice(groupOf[r] * block, block).CopyTo(to.Slice(r * block, block));
                }
            }

            Run(solutionIds, solutionMask, solutionPositions, rows, width, past, solutionLogits, []);
            var first = promptLogits.GetTensorDataAsSpan<float>();
            var rest = solutionLogits.GetTensorDataAsSpan<float>();
            for (var r = 0; r < rows; r++)
            {
                // The token after the prompt is read off the prompt's last position, the others off the solution pass.
                var (row, ends, start) = encoded[chunk[r]];
                scores[chunk[r]] = StepLikelihoods(row, ends, start, first.Slice((groupOf[r] * p + start - 1) * vocab, vocab),
                    rest.Slice(r * width * vocab, width * vocab));
            }
        }
        finally
        {
            foreach (var v in empty.Concat(present).Concat(past))
            {
                v.Dispose();
            }
        }
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
