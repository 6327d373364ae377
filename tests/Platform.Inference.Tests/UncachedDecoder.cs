using System.Diagnostics;
using Platform.Contracts;
using Platform.Inference.Runtime;

namespace Platform.Inference.Tests;

/// <summary>
/// The reference pattern without a cache: every step recomputes the whole sequence through the same
/// graph, sampler and stopping rules as <see cref="DecoderSession"/>. Same tokens as
/// <see cref="DecoderSession.Generate"/>: the inference tests check the cache against it, and the
/// generation benchmark uses it as its baseline. (Test and benchmark code; the platform never runs it.)
/// </summary>
public static class UncachedDecoder
{
    public static GenerationResult Generate(DecoderSession session, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        if (request.BudgetForcing is not null)
        {
            return new GenerationResult([], new ComputeUsage(), "budget forcing needs the cached decoder (Generate)");
        }

        if (session.Validate(request, out var prompt) is { } error)
        {
            return new GenerationResult([], new ComputeUsage(), error);
        }

        var (vocab, heads, headDim, layers) = (session.Vocab, session.KvHeads, session.HeadDim, session.Graph.PastNames.Count);
        var scratch = new float[vocab];
        var wide = new float[vocab];
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
                var empty = session.Graph.AllocateCache(layers, [1, heads, 0, headDim]);
                var present = session.Graph.AllocateCache(layers, [1, heads, n, headDim]);
                using var logits = session.Graph.AllocateOutput("logits", [1, n, vocab]);
                session.Forward([.. sequence], ones, positions, [1, n], empty, logits, present);
                DecoderGraph.Free(empty);
                DecoderGraph.Free(present);
                flops += session.PrefixFlops(n);
                session.Stopping.Next(row, ElementTypes.Floats(logits).Slice((long)(n - 1) * vocab, vocab, wide), request, scratch);
                sequence.Add(row.Tokens[^1]);
            }

            samples.Add(new GeneratedSequence([.. row.Tokens], row.Text.ToString(), row.Finish) { LogProbs = [.. row.LogProbs], Confidences = [.. row.Confidences] });
        }

        return new GenerationResult(samples, new ComputeUsage
        {
            PromptTokens = prompt.Length,
            GeneratedTokens = samples.Sum(x => (long)x.Tokens.Length),
            Flops = flops,
            DeviceMilliseconds = clock.Elapsed.TotalMilliseconds,
        });
    }
}
