using System.Diagnostics;
using Platform.Inference.Runtime;
using Platform.Reasoning.Arithmetic;

namespace Platform.Benchmarks;

public sealed record ContinuousResult(int Prompts, int Samples, long Tokens, double Seconds, double MeanRows, long Steps)
{
    public double TokensPerSecond => Tokens / Seconds;
}

/// <summary>
/// The Generator's engine on its own: many prompts' requests (N samples each) submitted at once to one
/// <see cref="ContinuousGenerator"/> with the Generator's row and cell limits, as the pipeline would
/// submit them if it did nothing else, so the rate here separates the engine's cost of mixing prompts
/// from the pipeline's bookkeeping.
/// </summary>
public static class ContinuousBenchmark
{
    public static async Task<ContinuousResult> Run(DecoderSession session, IReadOnlyList<string> problems, int samples, double temperature, int maxNewTokens,
        ContinuousBatchLimits limits)
    {
        var (results, seconds, meanRows, steps) = await Generate(session, problems, samples, temperature, maxNewTokens, limits);
        var tokens = results.Sum(r => r.Sum(x => x.Usage.GeneratedTokens));
        return new ContinuousResult(problems.Count, samples, tokens, seconds, meanRows, steps);
    }

    /// <summary>Every problem's prompt one request of N samples (seeded by its index), all submitted at once; the results in problem order.</summary>
    public static async Task<(IReadOnlyList<GenerationResult>[] Results, double Seconds, double MeanRows, long Steps)> Generate(DecoderSession session,
        IReadOnlyList<string> problems, int samples, double temperature, int maxNewTokens, ContinuousBatchLimits limits)
    {
        await using var engine = new ContinuousGenerator(_ => session, limits);
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(problems.Select((p, i) => engine.Submit(session.Model.Name,
            [new GenerationRequest { Prompt = session.Model.Prompt(p), Samples = samples, Sampling = new SamplingOptions { Temperature = temperature, Seed = (ulong)i + 1, MaxNewTokens = maxNewTokens } }],
            CancellationToken.None)));
        return (results, clock.Elapsed.TotalSeconds, engine.MeanRowsPerStep, engine.Steps);
    }
}
